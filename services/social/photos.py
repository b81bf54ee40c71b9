"""The profile picture a provider links to, fetched once into the profile photo (P8).

The URL comes from the provider's answer, so it is fetched as untrusted input (no SSRF):

- only from the provider's picture hosts (``SocialProvider.picture_hosts``, else the defaults
  below: the hosts each provider serves its pictures from, an OpenID Connect provider's
  issuer host), and only over HTTPS unless the entry says ``http://``;
- only to public addresses: a name resolving to a private, loopback, link-local or otherwise
  non-global address is refused unless the setting names that address itself. The check is in
  the connection's resolver, so the address checked is the address connected to;
- no redirect followed, a short timeout, and at most the upload limit read, counted while
  reading; then the photo checks and file store of ``services.profiles``.

Any refusal or failure leaves the profile without a photo and the log-in goes on; the warning
logged names the provider and the reason, never the person or the URL.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from core import limits
from core.errors import BadUserInput
from core.runtime import Runtime
from core.settings import OIDC_BACKEND, SocialProvider
from models.accounts import User
from services.profiles import fill_empty_profile_photo

logger = logging.getLogger("mentor_api.social")

# Where each backend's answer names the picture.
PICTURE_KEYS = {
    "google-oauth2": "picture",
    "github": "avatar_url",
    "twitter-oauth2": "profile_image_url",
    OIDC_BACKEND: "picture",
}
DEFAULT_PICTURE_HOSTS = {
    "google-oauth2": ("*.googleusercontent.com",),
    "github": ("avatars.githubusercontent.com",),
    "twitter-oauth2": ("pbs.twimg.com",),
}


class PictureRefused(Exception):
    """Why a picture was not imported, in words that hold no personal data."""


def picture_url(provider: SocialProvider, response: dict[str, Any]) -> str | None:
    """The picture URL the provider sent, or None when it sent none."""
    value = response.get(PICTURE_KEYS[provider.backend])
    return (value.strip() or None) if isinstance(value, str) else None


def picture_hosts(provider: SocialProvider) -> tuple[str, ...]:
    """The configured picture hosts, else the backend's, else the issuer's host."""
    if provider.picture_hosts:
        return provider.picture_hosts
    if provider.backend in DEFAULT_PICTURE_HOSTS:
        return DEFAULT_PICTURE_HOSTS[provider.backend]
    host = urlsplit(provider.issuer or "").hostname
    return (host,) if host else ()


@dataclass(frozen=True)
class HostRule:
    """One entry of the picture hosts: a host pattern and whether plain HTTP is allowed."""

    pattern: str
    plain_http: bool
    # Configured, not a default: only then may it name a non-global address.
    explicit: bool = True

    @classmethod
    def parse(cls, entry: str, *, explicit: bool = True) -> HostRule:
        entry = entry.strip().lower()
        plain = entry.startswith("http://")
        pattern = entry.removeprefix("http://").removeprefix("https://").rstrip("/")
        return cls(pattern, plain, explicit)

    def matches(self, host: str) -> bool:
        if self.pattern.startswith("*."):
            return host.endswith(self.pattern[1:]) and len(host) > len(self.pattern) - 1
        return host == self.pattern

    def address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        """The address a configured entry names literally: only such an entry allows a
        non-global one."""
        if not self.explicit:
            return None
        try:
            return ipaddress.ip_address(self.pattern.strip("[]"))
        except ValueError:
            return None


def _allowed_address(address: str, rules: list[HostRule]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global or any(rule.address() == ip for rule in rules)


class CheckedResolver(AbstractResolver):
    """Resolves as usual, then refuses names that resolve to addresses not allowed."""

    def __init__(self, rules: list[HostRule]) -> None:
        self._rules = rules
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if not found or not all(_allowed_address(r["host"], self._rules) for r in found):
            raise PictureRefused("the picture host resolves to a non-public address")
        return found

    async def close(self) -> None:
        await self._resolver.close()


def checked_url(provider: SocialProvider, url: str) -> list[HostRule]:
    """The rules the URL passed: an allowed host, scheme and (for an IP) address."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise PictureRefused("the picture URL is malformed") from None
    explicit = bool(provider.picture_hosts)
    rules = [HostRule.parse(entry, explicit=explicit) for entry in picture_hosts(provider)]
    matching = [rule for rule in rules if host and rule.matches(host)]
    if not matching:
        raise PictureRefused("the picture host is not allowed")
    if parts.scheme != "https" and not (parts.scheme == "http" and matching[0].plain_http):
        raise PictureRefused("the picture URL is not https")
    if parts.username is not None or parts.password is not None:
        raise PictureRefused("the picture URL carries credentials")
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return rules
    if not _allowed_address(str(literal), rules):
        raise PictureRefused("the picture host is a non-public address")
    return rules


async def fetch_picture(provider: SocialProvider, url: str, limit: int) -> bytes:
    """The picture's bytes: at most ``limit`` of them, from an allowed host, no redirect."""
    rules = checked_url(provider, url)
    timeout = aiohttp.ClientTimeout(total=limits.SOCIAL_PICTURE_TIMEOUT.total_seconds())
    connector = aiohttp.TCPConnector(resolver=CheckedResolver(rules), use_dns_cache=False)
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        session.get(url, allow_redirects=False, headers={"Accept": "image/*"}) as response,
    ):
        if response.status != 200:
            raise PictureRefused(f"the picture host answered {response.status}")
        if (response.content_length or 0) > limit:
            raise PictureRefused("the picture is over the size limit")
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > limit:
                raise PictureRefused("the picture is over the size limit")
    return bytes(data)


async def import_picture(
    runtime: Runtime, user: User, provider: SocialProvider, url: str | None
) -> bool:
    """Fetch the provider's picture into a profile without a photo; True when it was.
    A refusal or failure is logged (provider and reason only) and changes nothing."""
    if url is None or user.photo_key is not None:
        return False
    try:
        data = await fetch_picture(provider, url, runtime.settings.max_upload_bytes)
        return await fill_empty_profile_photo(runtime, user, data)
    except PictureRefused as refusal:
        reason = str(refusal)
    except BadUserInput:
        reason = "the picture is not a PNG, JPEG or WebP image"
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
        reason = f"the picture could not be fetched ({type(error).__name__})"
    logger.warning("profile picture from %s not imported: %s", provider.name, reason)
    return False

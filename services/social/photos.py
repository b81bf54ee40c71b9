"""The profile picture a provider links to, fetched once into the profile photo (P8).

The URL comes from the provider's answer, so it is fetched as untrusted input (no SSRF):

- only from the provider's picture hosts (``SocialProvider.picture_hosts``, else the defaults
  below: the hosts each provider serves its pictures from, an OpenID Connect provider's
  issuer host), and only over HTTPS unless the entry says ``http://``;
- only to public addresses: a host that is or resolves to a private, loopback, link-local or
  otherwise non-global address is refused unless a configured entry names that address
  itself. The runtime's fetcher (``app/pictures.py``) checks the addresses it connects to,
  follows no redirect, times out soon and reads at most the upload limit; then the photo
  checks and file store of ``services.profiles``.

Any refusal or failure leaves the profile without a photo and the log-in goes on; the warning
logged names the provider and the reason, never the person or the URL.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.errors import BadUserInput
from core.runtime import FetchRefused, Runtime
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


def rules_of(provider: SocialProvider) -> list[HostRule]:
    explicit = bool(provider.picture_hosts)
    return [HostRule.parse(entry, explicit=explicit) for entry in picture_hosts(provider)]


def addresses_allowed(rules: list[HostRule]) -> Callable[[str], bool]:
    """Whether a picture host may be reached at an address: a global one, or one a
    configured entry names."""
    listed = {address for rule in rules if (address := rule.address()) is not None}

    def allowed(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return ip.is_global or ip in listed

    return allowed


def checked_url(provider: SocialProvider, url: str) -> list[HostRule]:
    """The provider's rules, once the URL passed them: an allowed host and scheme, no
    credentials. The addresses are the fetcher's to check, as it connects."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise FetchRefused("the picture URL is malformed") from None
    rules = rules_of(provider)
    matching = [rule for rule in rules if host and rule.matches(host)]
    if not matching:
        raise FetchRefused("the picture host is not allowed")
    plain_allowed = any(rule.plain_http for rule in matching)
    if parts.scheme != "https" and not (parts.scheme == "http" and plain_allowed):
        raise FetchRefused("the picture URL is not https")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused("the picture URL carries credentials")
    return rules


async def import_picture(
    runtime: Runtime, user: User, provider: SocialProvider, url: str | None
) -> bool:
    """Fetch the provider's picture into a profile without a photo; True when it was.
    A refusal or failure is logged (provider and reason only) and changes nothing."""
    if url is None or user.photo_key is not None:
        return False
    try:
        rules = checked_url(provider, url)
        data = await runtime.pictures.fetch(
            url, address_allowed=addresses_allowed(rules), limit=runtime.settings.max_upload_bytes
        )
        return await fill_empty_profile_photo(runtime, user, data)
    except FetchRefused as refusal:
        reason = str(refusal)
    except BadUserInput:
        reason = "the picture is not a PNG, JPEG or WebP image"
    except OSError as error:  # the file store's; the log-in need not fail for it
        reason = f"the picture could not be stored ({type(error).__name__})"
    logger.warning("profile picture from %s not imported: %s", provider.name, reason)
    return False

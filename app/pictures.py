"""Fetching a picture from a URL someone else gave us (a login provider's answer), with
aiohttp in the event loop, as ``core.runtime.PictureFetcher`` promises.

The address check is in the connection's resolver, so the address checked is the address
connected to: a name cannot pass the check and then re-resolve elsewhere (DNS rebinding). A
host that is an IP address is not resolved, so it is checked before the request. No proxy
from the environment is used and no redirect followed; the body is counted while it is read.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from core import limits
from core.runtime import FetchRefused

CHUNK_BYTES = 64 * 1024


class CheckedResolver(AbstractResolver):
    """Resolves as usual, then refuses a name that resolves to any address not allowed."""

    def __init__(self, address_allowed: Callable[[str], bool]) -> None:
        self._allowed = address_allowed
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        if not found or not all(self._allowed(result["host"]) for result in found):
            raise FetchRefused("the picture host resolves to a non-public address")
        return found

    async def close(self) -> None:
        await self._resolver.close()


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class HttpPictures:
    """One short-lived client session a fetch: its resolver holds that fetch's rules."""

    def __init__(self, timeout_seconds: float | None = None) -> None:
        self._timeout = timeout_seconds or limits.SOCIAL_PICTURE_TIMEOUT.total_seconds()

    async def fetch(self, url: str, *, address_allowed: Callable[[str], bool], limit: int) -> bytes:
        literal = _literal_address(urlsplit(url).hostname or "")
        if literal is not None and not address_allowed(literal):
            raise FetchRefused("the picture host is a non-public address")
        connector = aiohttp.TCPConnector(
            resolver=CheckedResolver(address_allowed), use_dns_cache=False
        )
        try:
            async with (
                aiohttp.ClientSession(
                    connector=connector, timeout=aiohttp.ClientTimeout(total=self._timeout)
                ) as session,
                session.get(url, allow_redirects=False, headers={"Accept": "image/*"}) as answer,
            ):
                if answer.status != 200:
                    raise FetchRefused(f"the picture host answered {answer.status}")
                if (answer.content_length or 0) > limit:
                    raise FetchRefused("the picture is over the size limit")
                data = bytearray()
                async for chunk in answer.content.iter_chunked(CHUNK_BYTES):
                    data += chunk
                    if len(data) > limit:
                        raise FetchRefused("the picture is over the size limit")
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as error:
            raise FetchRefused(
                f"the picture could not be fetched ({type(error).__name__})"
            ) from None
        return bytes(data)

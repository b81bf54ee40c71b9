"""Admission: at most so many GraphQL requests run at once in one process; the rest queue a
little, then are told to come back.

Without a bound, a process under more load than it can serve takes every request at once,
each runs slower for the others, and past the request timeout they all end as 504s. With it,
the requests that run finish in their usual time, and one that waited longer than
``ADMISSION_WAIT`` answers at once: 429 ``RATE_LIMITED`` with ``Retry-After``, as a client's
own budget does, so clients back off instead of timing out. WebSocket upgrades are not
counted: a subscription lasts, and has its own bound per connection.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import orjson
from aiohttp import hdrs, web

from app.graphql_http import JSON, response_media_type
from core import limits
from core.errors import ErrorCode

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

BUSY = "This server is busy: try again in {seconds} seconds."


@dataclass
class Admission:
    """The gate of one process (``app[ADMISSION]``)."""

    capacity: int = limits.MAX_CONCURRENT_OPERATIONS
    wait: float = limits.ADMISSION_WAIT.total_seconds()
    _gate: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._gate = asyncio.Semaphore(self.capacity)

    async def enter(self) -> bool:
        """Whether a place came free within the wait."""
        try:
            async with asyncio.timeout(self.wait):
                await self._gate.acquire()
        except TimeoutError:
            return False
        return True

    def leave(self) -> None:
        self._gate.release()


ADMISSION = web.AppKey("admission", Admission)


def _busy(request: web.Request, retry_after: int) -> web.Response:
    error = {
        "message": BUSY.format(seconds=retry_after),
        "extensions": {"code": ErrorCode.RATE_LIMITED.value, "retryAfter": retry_after},
    }
    return web.Response(
        body=orjson.dumps({"errors": [error]}),
        status=429,
        content_type=response_media_type(request.headers.get(hdrs.ACCEPT)) or JSON,
        headers={"Retry-After": str(retry_after), "Cache-Control": "no-store"},
    )


@web.middleware
async def admitted(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path != "/graphql" or request.method not in ("GET", "POST"):
        return await handler(request)
    if request.headers.get(hdrs.UPGRADE, "").lower() == "websocket":
        return await handler(request)
    admission = request.app[ADMISSION]
    if not await admission.enter():
        return _busy(request, max(1, math.ceil(admission.wait)))
    try:
        return await handler(request)
    finally:
        admission.leave()

"""Clients too slow to send their request, or sending less than they said they would.

Headers: aiohttp's keep-alive timer closes a connection whose waiting for its next request
(idle, or with headers begun but not complete) lasts ``keepalive_timeout``, counted from the
connection's start or its last answer; set to ``REQUEST_HEADER_TIMEOUT`` it is our header read
timeout. Bodies: aiohttp has no read timeout for them, so ``bodies_in_time`` watches the body
while the handler runs and abandons a request whose body stalls or drags on (408, connection
closed). Connection limits per IP belong at the edge (README, "Behind a proxy").
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from aiohttp.streams import StreamReader
from aiohttp.typedefs import Middleware

from core.errors import ErrorCode
from core.settings import Settings

logger = logging.getLogger("mentor_api.slow_clients")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def connection_options(settings: Settings) -> dict[str, Any]:
    """What every server of the app hands its connections (``web.Application(handler_args=)``),
    so ``mentor-api serve``, its web processes and the tests' server all get it."""
    return {"keepalive_timeout": settings.request_header_timeout.total_seconds()}


def bodies_in_time(idle: timedelta, total: timedelta) -> Middleware:
    """A body must bring a byte every ``idle`` and be complete within ``total``; past either the
    handler is cancelled and the client told 408. A body shorter than its ``Content-Length``
    stops bringing bytes, so it is abandoned after ``idle``."""

    @web.middleware
    async def in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        body = request.content
        if body.is_eof():  # no body, or all of it already here: nothing to wait for
            return await handler(request)
        handling = asyncio.ensure_future(handler(request))
        try:
            late = await _body_late(body, handling, idle, total)
        except asyncio.CancelledError:
            handling.cancel()
            raise
        if not late:
            return await handling
        handling.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await handling
        logger.info("request body abandoned: %d bytes arrived in time", body.total_bytes)
        # Nothing more is read: aiohttp then closes instead of lingering for the rest.
        body.feed_eof()
        response = web.json_response(
            {
                "errors": [
                    {
                        "message": "The request body did not arrive in time.",
                        "extensions": {"code": ErrorCode.TIMEOUT.value},
                    }
                ]
            },
            status=408,
        )
        response.force_close()
        return response

    return in_time


async def _body_late(
    body: StreamReader, handling: asyncio.Future[Any], idle: timedelta, total: timedelta
) -> bool:
    """Whether the body stalled or dragged on before the handler finished or the body ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total.total_seconds()
    received = body.total_bytes
    while not body.is_eof() and not handling.done():
        left = deadline - loop.time()
        if left <= 0:
            return True
        await asyncio.wait({handling}, timeout=min(idle.total_seconds(), left))
        if body.is_eof() or handling.done():
            return False
        if body.total_bytes == received:
            return True
        received = body.total_bytes
    return False

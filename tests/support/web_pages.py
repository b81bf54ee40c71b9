"""Pages of a web client on an origin of their own: a small aiohttp server on loopback."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


@asynccontextmanager
async def serving_page(html: str, on: socket.socket | None = None) -> AsyncIterator[str]:
    """Serve ``html`` at ``/`` on the given socket (else a free port); yield the origin.
    The server takes the socket over and closes it when it stops."""

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    if on is None:
        site: web.BaseSite = web.TCPSite(runner, "127.0.0.1", 0)
    else:
        site = web.SockSite(runner, on)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()

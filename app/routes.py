"""Plain HTTP routes beside /graphql: health, readiness, uploaded media and unsubscribe."""

from __future__ import annotations

import mimetypes

from aiohttp import web
from tortoise import connections

from app import unsubscribe
from app.keys import RUNTIME


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The database (and Redis, when configured) answer; a load balancer may send traffic."""
    runtime = request.app[RUNTIME]
    checks: dict[str, str] = {}
    try:
        await connections.get("default").execute_query("SELECT 1")
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = type(error).__name__
    if runtime.redis is not None:
        try:
            await runtime.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = type(error).__name__
    ready = all(value == "ok" for value in checks.values())
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


async def media(request: web.Request) -> web.Response:
    """Uploaded files by their unguessable key; the key is shown only to a field's audience."""
    key = request.match_info["key"]
    data = await request.app[RUNTIME].files.get(key)
    if data is None:
        raise web.HTTPNotFound()
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    return web.Response(
        body=data,
        content_type=content_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/media/{key}", media)
    app.router.add_get("/unsubscribe", unsubscribe.confirm_unsubscribe)
    app.router.add_post("/unsubscribe", unsubscribe.unsubscribe)

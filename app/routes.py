"""Plain HTTP routes beside /graphql: health (liveness), readiness, metrics, uploaded media,
data exports, legal disclosures, the privacy policy, unsubscribe and the pages mail links
open."""

from __future__ import annotations

import asyncio
import mimetypes
from collections.abc import Awaitable, Callable
from pathlib import PurePosixPath

from aiohttp import web
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from tortoise import connections

from app import metrics, unsubscribe, webapp
from app.db import pending_migrations
from app.graphql_view import client_info
from app.keys import RUNTIME
from app.sessions import authenticate
from core import limits
from core.runtime import Runtime
from models.accounts import User
from resolvers.ids import row_id_or_none
from services.client import ClientInfo
from services.images import MEDIA_TYPES
from services.privacy import exports, legal_disclosures, policy

POLICY_VERSION_HEADER = "Privacy-Policy-Version"


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving."""
    return web.json_response({"status": "ok"})


class DatabaseProbe:
    """The database check of /readyz, at most one in flight. A check stuck on a server that
    accepts and never answers cannot be cut short (asyncpg's cancel request waits on that
    server too): the probe stops waiting for it, and later probes wait for the same check
    rather than each taking another pooled connection."""

    def __init__(self) -> None:
        self._pending: asyncio.Future[dict[str, str]] | None = None

    async def checks(self) -> dict[str, str]:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._check())
        try:
            async with asyncio.timeout(limits.READINESS_CHECK_TIMEOUT.total_seconds()):
                return dict(await asyncio.shield(self._pending))
        except TimeoutError:
            return {"database": TimeoutError.__name__}

    @staticmethod
    async def _check() -> dict[str, str]:
        database = connections.get("default")
        try:
            await database.execute_query("SELECT 1")
            pending = await pending_migrations(database)
        except Exception as error:
            return {"database": type(error).__name__}
        migrations = f"pending: {', '.join(pending)}" if pending else "ok"
        return {"database": "ok", "migrations": migrations}


DATABASE_PROBE = web.AppKey("database_probe", DatabaseProbe)


async def readyz(request: web.Request) -> web.Response:
    """The database answers and has every migration applied, and Redis (when configured)
    answers: a load balancer may send traffic. A failed check says what failed (an error's
    type, the pending migrations), never an address or a credential."""
    runtime = request.app[RUNTIME]
    checks = await request.app[DATABASE_PROBE].checks()
    if runtime.redis is not None:
        try:  # bounded: a probe must be answered promptly, most of all while Redis is down
            async with asyncio.timeout(limits.READINESS_CHECK_TIMEOUT.total_seconds()):
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
    # Only the images we encode ourselves show in place; anything else (a file stored before
    # uploads were re-encoded) downloads. Neither can run a script or load anything.
    image_type = MEDIA_TYPES.get(PurePosixPath(key).suffix)
    content_type = image_type or mimetypes.guess_type(key)[0] or "application/octet-stream"
    shown = "inline" if image_type else "attachment"
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": shown,
        },
    )


def _row_id(raw: str, type_name: str) -> int | None:
    try:
        return row_id_or_none(relay.GlobalID.from_id(raw), type_name)
    except GlobalIDValueError:
        return None


def _attachment(content: bytes, filename: str) -> web.Response:
    return web.Response(
        body=content,
        content_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


Downloader = Callable[[Runtime, User | None, int, ClientInfo], Awaitable[bytes | None]]


async def _download(
    request: web.Request, type_name: str, downloader: Downloader, filename: str
) -> web.Response:
    """An archive for the session (cookie or bearer) that may have it; everything else, one
    and the same 404, so an id proves nothing about anyone."""
    runtime = request.app[RUNTIME]
    viewer, _ = await authenticate(request, runtime.settings)
    row_id = _row_id(request.match_info["id"], type_name)
    content = None
    if row_id is not None:
        client = client_info(request, runtime.settings.trusted_proxies)
        content = await downloader(runtime, viewer.user, row_id, client)
    if content is None:
        raise web.HTTPNotFound()
    return _attachment(content, filename.format(id=row_id))


async def data_export(request: web.Request) -> web.Response:
    """A READY data export's archive, to the user who asked for it (anonymous, another
    user's, unknown, not ready or expired: 404)."""
    return await _download(request, "DataExport", exports.download, "mentor-data-export-{id}.zip")


async def legal_disclosure(request: web.Request) -> web.Response:
    """A built legal disclosure's package, once, to the LEGAL staff member who asked for it;
    its file is deleted as it is served (anyone else, unknown, not built yet, expired or
    already downloaded: 404)."""
    return await _download(
        request, "LegalDisclosure", legal_disclosures.download, "mentor-legal-disclosure-{id}.zip"
    )


async def privacy_policy(request: web.Request) -> web.Response:
    """The text of the privacy policy in force, or of ``?version=N`` (any published version),
    as plain text, with the version it is in a header. A version nobody published: 404."""
    asked = request.query.get("version")
    found = await policy.current_policy() if asked is None else await policy.published(asked)
    if found is None:
        raise web.HTTPNotFound(text="No such version of the privacy policy.")
    # A version never changes; which one is in force does.
    caching = "public, max-age=86400, immutable" if asked is not None else "no-cache"
    return web.Response(
        text=found.text,
        content_type="text/plain",
        charset="utf-8",
        headers={POLICY_VERSION_HEADER: found.version, "Cache-Control": caching},
    )


def add_routes(app: web.Application) -> None:
    app[DATABASE_PROBE] = DatabaseProbe()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics.metrics)
    app.router.add_get("/media/{key}", media)
    app.router.add_get("/exports/{id}", data_export)
    app.router.add_get("/privacy-policy", privacy_policy)
    app.router.add_get("/disclosures/{id}", legal_disclosure)
    app.router.add_get("/unsubscribe", unsubscribe.confirm_unsubscribe)
    app.router.add_post("/unsubscribe", unsubscribe.unsubscribe)
    webapp.add_routes(app)

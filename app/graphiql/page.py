"""The GraphiQL page and the files it loads, all from this server.

The page holds no inline script or style, so its Content-Security-Policy can forbid both: a
script runs only if it is one of our files. It may connect only to this server (HTTP and the
WebSocket of subscriptions). Without the fetched assets it says how to fetch them, instead of
showing a page that stays "Loading…".
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from aiohttp import web

from app.graphiql import assets
from app.sessions import CSRF_COOKIE, CSRF_HEADER

STATIC_DIR = Path(__file__).resolve().parent / "static"
VENDOR_PREFIX = "/graphiql/vendor/"
STATIC_PREFIX = "/graphiql/static/"
# Our own files (committed next to this module): the bootstrap script and the page's style.
OWN_FILES = ("mentor-graphiql.js", "mentor-graphiql.css")
# A Host header is the caller's to write; only a plain host[:port] goes into the policy.
PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
# Versioned paths never change; our own files change with a deploy, so they are revalidated.
VENDOR_CACHING = "public, max-age=31536000, immutable"
STATIC_CACHING = "no-cache"


def content_security_policy(request: web.Request) -> str:
    connect = ["'self'"]
    # 'self' covers the subscriptions' WebSocket in CSP 3; older browsers need it spelled out.
    if PLAIN_HOST.fullmatch(request.host):
        connect += [f"ws://{request.host}", f"wss://{request.host}"]
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            # GraphiQL's stylesheet carries its fonts and icons as data: URLs.
            "font-src 'self' data:",
            "img-src 'self' data:",
            f"connect-src {' '.join(connect)}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _scripts() -> list[str]:
    vendor = [path for p in assets.PACKAGES for path in p.paths() if path.endswith(".js")]
    return [VENDOR_PREFIX + path for path in vendor] + [STATIC_PREFIX + "mentor-graphiql.js"]


def _stylesheets() -> list[str]:
    vendor = [path for p in assets.PACKAGES for path in p.paths() if path.endswith(".css")]
    return [VENDOR_PREFIX + path for path in vendor] + [STATIC_PREFIX + "mentor-graphiql.css"]


def _page(body: str, head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>mentor-api GraphiQL</title>\n"
        # An icon of its own, so the browser asks nobody for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )


def ide_page(assets_root: Path) -> tuple[int, str]:
    """The page's status and HTML: GraphiQL, or how to fetch its files when they are absent."""
    absent = assets.missing(assets_root)
    if absent:
        listed = ", ".join(html.escape(p.folder) for p in absent)
        body = (
            "<h1>GraphiQL's files are not on this server yet</h1>\n"
            f"<p>Missing: {listed}.</p>\n"
            "<p>Fetch them (pinned versions, checked against their published integrity) with "
            "<code>python3 dev.py setup</code> or <code>mentor-api fetch-graphiql</code>, "
            "then reload this page.</p>\n"
            "<p>The API itself works: send queries to this address with POST.</p>\n"
        )
        return 503, _page(body)
    head = "".join(f'<link rel="stylesheet" href="{href}">\n' for href in _stylesheets())
    scripts = "".join(f'<script src="{src}"></script>\n' for src in _scripts())
    body = (
        f'<div id="graphiql" data-csrf-cookie="{CSRF_COOKIE}" '
        f'data-csrf-header="{CSRF_HEADER}">Loading…</div>\n{scripts}'
    )
    return 200, _page(body, head)


def render(request: web.Request, assets_root: Path) -> web.Response:
    status, text = ide_page(assets_root)
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        headers={
            "Content-Security-Policy": content_security_policy(request),
            # The policy names the host the page was asked on.
            "Cache-Control": "no-store",
        },
    )


CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _file_response(path: Path, caching: str) -> web.FileResponse:
    return web.FileResponse(
        path, headers={"Content-Type": CONTENT_TYPES[path.suffix], "Cache-Control": caching}
    )


def add_routes(app: web.Application, assets_root: Path) -> None:
    """Serve exactly the pinned files and our own, by name: nothing else in those folders."""
    served = {path for p in assets.PACKAGES for path in p.paths()}

    async def vendor(request: web.Request) -> web.StreamResponse:
        name = request.match_info["path"]
        if name not in served or not (assets_root / name).is_file():
            raise web.HTTPNotFound()
        return _file_response(assets_root / name, VENDOR_CACHING)

    async def static(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in OWN_FILES:
            raise web.HTTPNotFound()
        return _file_response(STATIC_DIR / name, STATIC_CACHING)

    app.router.add_get(VENDOR_PREFIX + "{path:.+}", vendor)
    app.router.add_get(STATIC_PREFIX + "{name}", static)

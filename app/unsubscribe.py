"""/unsubscribe: the one-click unsubscribe every marketing mail links to (RFC 8058).

``POST /unsubscribe?token=…`` withdraws MARKETING_EMAIL without a login: mail clients send it
with the body ``List-Unsubscribe=One-Click`` (an empty body works too; the signed token is
the authority, the POST the act). ``GET`` only shows a page whose button posts that form:
mail scanners follow links, and a link followed must not unsubscribe anyone.
"""

from __future__ import annotations

import html

from aiohttp import web

from app.keys import RUNTIME
from core.errors import BadUserInput
from services import marketing

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>{title}</h1>{content}</body></html>
"""
CONFIRM = """<p>Stop receiving our news by email?</p>
<form method="post" action="/unsubscribe?token={token}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button></form>"""
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'",
}


def _page(title: str, content: str, *, status: int = 200) -> web.Response:
    return web.Response(
        text=PAGE.format(title=title, content=content),
        content_type="text/html",
        status=status,
        headers=HEADERS,
    )


def _refused() -> web.Response:
    return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", status=400)


async def confirm_unsubscribe(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    try:
        await marketing.unsubscriber(request.app[RUNTIME].settings.secret_key, token)
    except BadUserInput:
        return _refused()
    return _page("Unsubscribe", CONFIRM.format(token=html.escape(token)))


async def unsubscribe(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    try:
        await marketing.unsubscribe(request.app[RUNTIME].settings.secret_key, token)
    except BadUserInput:
        return _refused()
    return _page("Unsubscribed", "<p>You will get no more news from us by email.</p>")

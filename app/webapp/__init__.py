"""The minimal web client that our mail links (and partner apps' consent requests) open when
``WEB_APP_URL`` names no other.

One static page and one script, served from this package (no CDN, no inline script, a strict
Content-Security-Policy); the script finishes the action through the GraphQL API.
"""

from __future__ import annotations

from importlib.resources import files

from aiohttp import web

# The pages our mail and Stripe's onboarding send browsers to (``Settings.web_app_link``), and
# the consent page a partner app's authorization request lands on (``/oauth/authorize``).
PAGES = frozenset(
    {"verify", "reset-password", "confirm-deletion", "cancel-deletion", "payouts", "authorize"}
)
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; form-action 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"}
_ASSETS = files(__name__)


async def page(request: web.Request) -> web.Response:
    if request.match_info["page"] not in PAGES:
        raise web.HTTPNotFound()
    return web.Response(
        text=_ASSETS.joinpath("page.html").read_text(), content_type="text/html", headers=HEADERS
    )


async def script(request: web.Request) -> web.Response:
    return web.Response(
        text=_ASSETS.joinpath("app.js").read_text(),
        content_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/app/app.js", script)
    app.router.add_get("/app/{page}", page)

"""The HTTP edge of OAuth 2.0 for partner apps (``services.partner_oauth``): the authorization
endpoint sends the user's browser to the web client's consent page, which asks and calls the
``authorizePartnerApp`` mutation; the token endpoint exchanges the code for a token."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from app.graphql_view import client_info
from app.keys import RUNTIME
from services import partner_oauth

TOKEN_PATH = "/oauth/token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def authorization_endpoint(request: web.Request) -> web.Response:
    """Consent is given signed in, in the web client: the request goes there unchanged."""
    settings = request.app[RUNTIME].settings
    wanted = [
        (name, value)
        for name in partner_oauth.AUTHORIZATION_PARAMETERS
        if (value := request.query.get(name))
    ]
    # Our own web client is served here: a relative redirect keeps the browser on this host.
    consent_page = f"{settings.web_app_url or '/app'}/authorize"
    raise web.HTTPFound(f"{consent_page}?{urlencode(wanted)}")


async def token_endpoint(request: web.Request) -> web.Response:
    settings = request.app[RUNTIME].settings
    if request.content_type != "application/x-www-form-urlencoded":
        return _invalid_request("Send a form (RFC 6749 §4.1.3).")
    try:
        form = [(name, str(value)) for name, value in (await request.post()).items()]
    except UnicodeDecodeError:
        return _invalid_request("Send the form in UTF-8 (RFC 6749 Appendix B).")
    status, body = await partner_oauth.exchange_code(
        settings.secret_key,
        f"{settings.public_url}{TOKEN_PATH}",
        request.headers,
        form,
        client_info(request, settings.trusted_proxies),
    )
    return web.json_response(body, status=status, headers=NO_STORE)


def _invalid_request(description: str) -> web.Response:
    body = {"error": "invalid_request", "error_description": description}
    return web.json_response(body, status=400, headers=NO_STORE)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/oauth/authorize", authorization_endpoint)
    app.router.add_post(TOKEN_PATH, token_endpoint)

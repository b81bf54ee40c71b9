"""The HTTP edge of third-party login: GET /auth/login/{provider} and
/auth/complete/{provider}.

``next`` may only point at our own origins (the API's public URL and CORS_ORIGINS); anything
else, and a missing ``next``, is replaced by the public URL's root, so the routes are no open
redirect. Every outcome ends in a redirect to ``next``: with the session cookie set (as
``logIn`` sets it), with ``?code=…`` for an app (``mode=code``, exchanged by
``exchangeLoginCode``), or with ``?error=<ErrorCode>`` and no session.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from app.graphql_view import client_info
from app.keys import RUNTIME
from app.sessions import HttpSessionCookies, authenticate
from core.errors import DomainError, ErrorCode, RateLimited
from core.settings import Settings, SocialProvider
from models.accounts import User
from services.social import accounts as social
from services.social import flows
from services.social.integration import Strategy, begin, finish

FLOW_COOKIE = "mentor_social_flow"
FLOW_COOKIE_PATH = "/auth"
OURS = "mentor"


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def safe_next(settings: Settings, asked: str | None) -> str:
    """``asked`` when it is a path here or a URL on one of our origins; else our root."""
    default = settings.public_url + "/"
    if not asked or "\\" in asked or any(ord(c) < 32 for c in asked):
        return default
    if asked.startswith("/") and not asked.startswith("//"):
        return settings.public_url + asked
    allowed = {_origin(settings.public_url), *(_origin(o) for o in settings.cors_origins)}
    origin = _origin(asked)
    return asked if origin is not None and origin in allowed else default


def _with(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), *params.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _provider(request: web.Request) -> SocialProvider:
    found = request.app[RUNTIME].settings.social_provider(request.match_info["provider"])
    if found is None:
        raise web.HTTPNotFound(text="No such login provider.")
    return found


def _redirect(url: str) -> web.Response:
    return web.Response(status=302, headers={"Location": url, "Cache-Control": "no-store"})


async def login(request: web.Request) -> web.StreamResponse:
    """Leave for the provider. A signed-in caller links the provider to their account."""
    runtime = request.app[RUNTIME]
    settings = runtime.settings
    provider = _provider(request)
    next_url = safe_next(settings, request.query.get("next"))
    viewer, _ = await authenticate(request, settings)
    try:
        raw, flow = await flows.start(runtime, client_info(request, settings.trusted_proxies))
    except RateLimited as error:
        wait = str(error.retry_after_seconds)
        return _redirect(_with(next_url, error=error.code.value, retryAfter=wait))
    session: dict[str, Any] = {
        OURS: {
            "next": next_url,
            "mode": "code" if request.query.get("mode") == "code" else "cookie",
            "link_session": viewer.session.id if viewer.session is not None else None,
        }
    }
    url = await begin(Strategy(settings, provider, {}, session))
    await flows.save(flow, session)
    response = _redirect(url)
    response.set_cookie(
        FLOW_COOKIE,
        raw,
        max_age=int(settings.social_flow_lifetime.total_seconds()),
        httponly=True,
        secure=settings.cookie_secure,
        # Lax: the provider's redirect back is a top-level GET, which carries it.
        samesite="Lax",
        path=FLOW_COOKIE_PATH,
    )
    return response


async def _linking(request: web.Request, settings: Settings, ours: dict[str, Any]) -> User | None:
    """The account to link to: the one whose session started this login, if it did, and
    only while that same session is still the caller's."""
    started_by = ours.get("link_session")
    if started_by is None:
        return None
    viewer, _ = await authenticate(request, settings)
    if viewer.session is None or viewer.session.id != started_by or viewer.user is None:
        raise DomainError(
            "The session that started this login ended.", code=ErrorCode.INVALID_STATE
        )
    return viewer.user


async def complete(request: web.Request) -> web.StreamResponse:
    """Back from the provider: sign up, log in or link, then go to ``next``."""
    runtime = request.app[RUNTIME]
    settings = runtime.settings
    provider = _provider(request)
    client = client_info(request, settings.trusted_proxies)
    session = await flows.take(request.cookies.get(FLOW_COOKIE))
    ours = session.get(OURS) or {}
    next_url = safe_next(settings, ours.get("next"))
    response: web.StreamResponse
    try:
        identity = await finish(Strategy(settings, provider, dict(request.query), session))
        linking = await _linking(request, settings, ours)
        user = await social.account_for(runtime, provider, identity, client, linking=linking)
        if ours.get("mode") == "code":
            code = await social.issue_login_code(runtime, user, provider)
            response = _redirect(_with(next_url, code=code))
        else:
            token, _ = await social.open_session(runtime, user, provider, client)
            response = _redirect(next_url)
            HttpSessionCookies(response, settings).set(token)
    except DomainError as error:
        response = _redirect(_with(next_url, error=error.code.value))
    response.del_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/auth/login/{provider}", login)
    app.router.add_get("/auth/complete/{provider}", complete)

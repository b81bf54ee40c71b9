"""Turning an HTTP request into a viewer: bearer token or session cookie, and the CSRF rule.

The web client holds the session in an HttpOnly cookie; because a browser sends cookies on
cross-site requests too, mutations authenticated by the cookie must carry ``X-CSRF-Token``:
an HMAC of the session token, readable by our own pages from the ``mentor_csrf`` cookie and by
nobody else. Bearer tokens are never sent by a browser on its own, so they need no such header.
Any page may also post a multipart form (the upload transport) without a CORS preflight, so a
multipart mutation with neither credential is refused too.
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from core import limits
from core.errors import ServiceUnavailable
from core.settings import Settings
from resolvers.extensions import connection_lost
from services import accounts, partner_apps, partner_grants, partner_oauth
from services.access.viewer import ANONYMOUS, Viewer

SESSION_COOKIE = "mentor_session"
CSRF_COOKIE = "mentor_csrf"
CSRF_HEADER = "X-CSRF-Token"
VISITOR_COOKIE = "mentor_visitor"


def csrf_token_for(settings: Settings, session_token: str) -> str:
    return hmac.new(
        settings.secret_key.encode(), f"csrf:{session_token}".encode(), hashlib.sha256
    ).hexdigest()


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _sendable_by_a_foreign_page(request: web.Request) -> bool:
    """A page on any site may post a multipart form here without a CORS preflight (JSON it
    may not), so such a request proves nothing about where it came from."""
    return request.content_type == "multipart/form-data"


async def authenticate(request: web.Request, settings: Settings) -> tuple[Viewer, bool]:
    """The viewer a request speaks for, and whether a mutation may trust its origin (CSRF).

    The lookups only read, so one whose database connection broke is run once more (the pool
    replaces a closed connection); broken again, the request is refused as ServiceUnavailable
    rather than answered as anonymous."""
    try:
        return await _authenticate(request, settings)
    except Exception as error:
        if not connection_lost(error):
            raise
    try:
        return await _authenticate(request, settings)
    except Exception as error:
        if connection_lost(error):
            raise ServiceUnavailable() from error
        raise


async def _authenticate(request: web.Request, settings: Settings) -> tuple[Viewer, bool]:
    """A partner app's key (``mpk_live_…``) and its token acting for a user (``mpu_live_…``)
    are told from a session token by their prefixes."""
    token = _bearer_token(request)
    refused = Viewer(partner_credential_refused=True)
    if token is not None and token.startswith(partner_apps.KEY_PREFIX):
        partner = await partner_apps.caller_for_key(settings.secret_key, token)
        return (refused if partner is None else Viewer(partner=partner)), True
    if token is not None and token.startswith(partner_oauth.TOKEN_PREFIX):
        acting = await partner_grants.viewer_for_token(settings.secret_key, token)
        return acting or refused, True
    if token is not None:
        # A browser never adds an Authorization header on its own.
        session = await accounts.session_for_token(token)
        return (ANONYMOUS if session is None else Viewer(user=session.user, session=session)), True
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await accounts.session_for_token(cookie) if cookie else None
    if cookie is None or session is None:
        return ANONYMOUS, not _sendable_by_a_foreign_page(request)
    # As bytes: compare_digest refuses str with non-ASCII characters, which a client may send.
    csrf_ok = hmac.compare_digest(
        request.headers.get(CSRF_HEADER, "").encode(), csrf_token_for(settings, cookie).encode()
    )
    return Viewer(user=session.user, session=session, via_cookie=True), csrf_ok


class HttpSessionCookies:
    """The session and CSRF cookies of one response (``resolvers.context.SessionCookies``)."""

    def __init__(self, response: web.StreamResponse, settings: Settings) -> None:
        self._response = response
        self._settings = settings

    def set(self, session_token: str) -> str:
        settings = self._settings
        csrf = csrf_token_for(settings, session_token)
        max_age = int(settings.session_lifetime.total_seconds())
        self._response.set_cookie(
            SESSION_COOKIE,
            session_token,
            max_age=max_age,
            httponly=True,
            secure=settings.cookie_secure,
            samesite="Lax",
            path="/",
        )
        self._response.set_cookie(
            CSRF_COOKIE,
            csrf,
            max_age=max_age,
            httponly=False,
            secure=settings.cookie_secure,
            samesite="Strict",
            path="/",
        )
        return csrf

    def clear(self) -> None:
        self._response.del_cookie(SESSION_COOKIE, path="/")
        self._response.del_cookie(CSRF_COOKIE, path="/")

    def set_visitor(self, visitor_token: str) -> None:
        self._response.set_cookie(
            VISITOR_COOKIE,
            visitor_token,
            max_age=int(limits.VISITOR_COOKIE_LIFETIME.total_seconds()),
            httponly=True,
            secure=self._settings.cookie_secure,
            samesite="Lax",
            path="/",
        )

"""Loopback stand-ins for Google's, GitHub's and X's OAuth 2.0 endpoints, for the tests.

Each peer is a small aiohttp server on 127.0.0.1 that serves the provider's documented
authorization, token and user-data endpoints on the provider's own paths, so social-auth-core's
real backends (``GoogleOAuth2``, ``GithubOAuth2``, ``TwitterOAuth2``) run unchanged against it.
It checks what the real provider checks (client authentication, single-use codes bound to their
redirect URI, PKCE for X, bearer tokens and scopes) and answers errors in the provider's shape.
Authorization is auto-consent: it redirects at once with a code for whoever ``sign_in_as`` named.

The server runs on its own thread and event loop: social-auth's HTTP calls are synchronous
``requests`` calls, so the peer must keep serving while the test's loop waits on them.

The backends read their user-data URLs from constants, not settings (Google's userinfo, GitHub's
``API_URL``, X's ``/2/users/me``); ``provider_traffic_to`` sends requests for the real
providers' hosts to the running peers instead, so even those calls reach a peer unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any
from unittest import mock
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CODE_LIFETIME = 600  # seconds; Google, GitHub and X all document ten minutes or less


@dataclass
class Identity:
    """What the provider knows of a person; ``None`` means the provider does not send it (P9)."""

    uid: str
    email: str | None = None
    email_verified: bool | None = None
    name: str | None = None
    picture: str | None = None  # avatar URL
    username: str | None = None  # GitHub login / X username


@dataclass(frozen=True)
class IssuedCode:
    """An authorization code the peer handed out, with what it is bound to."""

    code: str
    client_id: str
    redirect_uri: str
    state: str
    scope: str
    identity: Identity
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None  # OpenID Connect: echoed in Google's ID token
    issued_at: float


@dataclass(frozen=True)
class TokenRequest:
    """One call to the token endpoint as the peer saw it, and how it answered."""

    form: dict[str, str]
    basic_auth: tuple[str, str] | None  # (client id, secret) from an HTTP Basic header
    status: int
    error: str | None  # the OAuth error code sent back, None when a token was issued


@dataclass
class _Grant:
    identity: Identity
    scope: set[str]
    code: IssuedCode


@dataclass
class _Refusal(Exception):
    status: int
    error: str
    description: str


class ProviderPeer:
    """One running provider. Subclasses hold each provider's paths and documented shapes."""

    kind: str
    client_auth: str  # "body" (client_id/client_secret form fields) or "basic"
    requires_pkce = False
    requires_scope = True  # Google and X refuse an authorization request without a scope
    token_schemes: tuple[str, ...] = ("bearer",)  # Authorization schemes the APIs accept
    real_origins: tuple[str, ...]  # the hosts whose traffic provider_traffic_to redirects
    paths: dict[str, str]  # backend attribute name -> path on the provider

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = ""
        # Empty: any redirect URI is accepted; otherwise only these (the app's registration).
        self.redirect_uris: set[str] = set()
        self.authorization_requests: list[dict[str, str]] = []
        self.issued_codes: list[IssuedCode] = []
        self.token_requests: list[TokenRequest] = []
        self.user_data_requests: list[tuple[str, dict[str, str]]] = []  # (path, headers)
        self._identity: Identity | None = None
        self._refuse_consent = False
        self._redeemed: set[str] = set()
        self._grants: dict[str, _Grant] = {}
        # Profile pictures served at /avatars/{name}: (status, headers, body, chunked).
        self.avatars: dict[str, tuple[int, dict[str, str], bytes, bool]] = {}
        self.avatar_requests: list[str] = []

    # -- what tests call -------------------------------------------------------------------

    def urls(self) -> dict[str, str]:
        """The endpoint URLs by the backend's attribute names.

        ``AUTHORIZATION_URL`` and ``ACCESS_TOKEN_URL`` are backend settings. The user-data URLs
        (``USER_DATA_URL``, GitHub's ``API_URL`` and ``USER_EMAILS_URL``, Google's ``JWKS_URI``)
        are constants in the backends: reach them through ``provider_traffic_to``.
        """
        return {name: self.base_url + path for name, path in self.paths.items()}

    def serve_avatar(
        self,
        name: str,
        body: bytes,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> str:
        """Serve ``body`` as a profile picture (the provider's picture CDN); its URL.
        ``chunked`` streams it in pieces with no Content-Length."""
        all_headers = {"Content-Type": "image/png", **(headers or {})}
        self.avatars[name] = (status, all_headers, body, chunked)
        return f"{self.base_url}/avatars/{name}"

    def sign_in_as(self, identity: Identity) -> None:
        """Who logs in, and consents, at the next authorization requests."""
        self._identity = identity
        self._refuse_consent = False

    def refuse_consent(self) -> None:
        """The next authorizations end with the user pressing Cancel (``error=access_denied``)."""
        self._refuse_consent = True

    def code_for_state(self, state: str) -> IssuedCode:
        return next(code for code in self.issued_codes if code.state == state)

    @property
    def live_tokens(self) -> int:
        return len(self._grants)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(self.paths["AUTHORIZATION_URL"], self._authorize)
        app.router.add_post(self.paths["ACCESS_TOKEN_URL"], self._token)
        app.router.add_get("/avatars/{name}", self._avatar)
        self.add_user_data_routes(app)
        return app

    async def _avatar(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.avatar_requests.append(name)
        if name not in self.avatars:
            return web.Response(status=404)
        status, headers, body, chunked = self.avatars[name]
        if not chunked:
            return web.Response(status=status, headers=headers, body=body)
        response = web.StreamResponse(status=status, headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(body), 256):
            await response.write(body[start : start + 256])
        await response.write_eof()
        return response

    # -- provider specifics ----------------------------------------------------------------

    def add_user_data_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def token_body(self, access_token: str, grant: _Grant) -> dict[str, Any]:
        raise NotImplementedError

    def token_error(self, refusal: _Refusal) -> web.Response:
        body = {"error": refusal.error, "error_description": refusal.description}
        return web.json_response(body, status=refusal.status)

    def bad_token(self) -> web.Response:
        raise NotImplementedError

    def scope_of(self, scope: str) -> set[str]:
        return set(scope.split())

    # -- authorization endpoint ------------------------------------------------------------

    async def _authorize(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.authorization_requests.append(query)
        try:
            redirect_uri = self._check_authorization(query)
        except _Refusal as refusal:
            body = {"error": refusal.error, "error_description": refusal.description}
            return web.json_response(body, status=refusal.status)
        if self._refuse_consent:
            params = {"error": "access_denied", "state": query["state"]}
        else:
            assert self._identity is not None
            code = IssuedCode(
                code=secrets.token_urlsafe(24),
                client_id=query["client_id"],
                redirect_uri=redirect_uri,
                state=query["state"],
                scope=query.get("scope", ""),
                identity=replace(self._identity),  # later edits of the test's copy stay out
                code_challenge=query.get("code_challenge"),
                code_challenge_method=query.get("code_challenge_method"),
                nonce=query.get("nonce"),
                issued_at=time.monotonic(),
            )
            self.issued_codes.append(code)
            params = {"code": code.code, "state": code.state}
        separator = "&" if urlsplit(redirect_uri).query else "?"
        raise web.HTTPFound(redirect_uri + separator + urlencode(params))

    def _check_authorization(self, query: dict[str, str]) -> str:
        if query.get("client_id") != self.client_id:
            raise _Refusal(401, "invalid_client", "The OAuth client was not found.")
        redirect_uri = query.get("redirect_uri")
        if not redirect_uri:
            raise _Refusal(400, "invalid_request", "Missing required parameter: redirect_uri")
        if self.redirect_uris and redirect_uri not in self.redirect_uris:
            raise _Refusal(400, "redirect_uri_mismatch", "The redirect_uri is not registered.")
        if query.get("response_type") != "code":
            raise _Refusal(400, "unsupported_response_type", "response_type must be code")
        if not query.get("state"):
            raise _Refusal(400, "invalid_request", "Missing required parameter: state")
        if self.requires_scope and not query.get("scope"):
            raise _Refusal(400, "invalid_request", "Missing required parameter: scope")
        if self.requires_pkce:
            if not query.get("code_challenge"):
                raise _Refusal(400, "invalid_request", "Missing parameter: code_challenge")
            # X documents S256 (or plain); social-auth sends it lower-case and X accepts that.
            if query.get("code_challenge_method", "").upper() != "S256":
                raise _Refusal(400, "invalid_request", "code_challenge_method must be S256")
        if self._identity is None and not self._refuse_consent:
            raise _Refusal(400, "invalid_request", "test set-up: call sign_in_as() first")
        return redirect_uri

    # -- token endpoint --------------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        basic = _basic_credentials(request.headers.get("Authorization", ""))
        try:
            grant = self._redeem(form, basic)
        except _Refusal as refusal:
            response = self.token_error(refusal)
            self.token_requests.append(TokenRequest(form, basic, response.status, refusal.error))
            return response
        access_token = secrets.token_urlsafe(32)
        self._grants[access_token] = grant
        self.token_requests.append(TokenRequest(form, basic, 200, None))
        return web.json_response(self.token_body(access_token, grant))

    def _redeem(self, form: dict[str, str], basic: tuple[str, str] | None) -> _Grant:
        self._check_client(form, basic)
        if form.get("grant_type") != "authorization_code":
            raise _Refusal(400, "unsupported_grant_type", "Invalid grant_type.")
        issued = next((c for c in self.issued_codes if c.code == form.get("code")), None)
        if issued is None or time.monotonic() - issued.issued_at > CODE_LIFETIME:
            raise _Refusal(400, "invalid_grant", "The code is incorrect or expired.")
        if issued.code in self._redeemed:
            # RFC 6749 4.1.2: a code used twice is refused and what it bought is revoked.
            self._grants = {t: g for t, g in self._grants.items() if g.code is not issued}
            raise _Refusal(400, "invalid_grant", "The code has already been used.")
        self._redeemed.add(issued.code)  # even a failed exchange spends the code
        if form.get("redirect_uri") != issued.redirect_uri:
            raise _Refusal(400, "redirect_uri_mismatch", "The redirect_uri does not match.")
        if issued.code_challenge is not None:
            verifier = form.get("code_verifier", "")
            if _s256(verifier) != issued.code_challenge:
                raise _Refusal(400, "invalid_request", "The code_verifier does not match.")
        return _Grant(issued.identity, self.scope_of(issued.scope), issued)

    def _check_client(self, form: dict[str, str], basic: tuple[str, str] | None) -> None:
        if self.client_auth == "basic":
            if basic != (self.client_id, self.client_secret):
                raise _Refusal(401, "unauthorized_client", "Missing valid authorization header")
            return
        given = (form.get("client_id"), form.get("client_secret"))
        if given != (self.client_id, self.client_secret):
            raise _Refusal(401, "invalid_client", "The client_id or client_secret is wrong.")

    # -- user-data endpoints ---------------------------------------------------------------

    def grant_for(self, request: web.Request) -> _Grant | None:
        """The grant behind the request's access token; None for a missing or unknown one."""
        self.user_data_requests.append((request.path, dict(request.headers)))
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return self._grants.get(token.strip()) if scheme.lower() in self.token_schemes else None


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except ValueError:
        return None
    return client_id, secret


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


class GooglePeer(ProviderPeer):
    """accounts.google.com and the OpenID Connect userinfo endpoint of googleapis.com."""

    kind = "google"
    client_auth = "body"
    real_origins = ("https://accounts.google.com", "https://www.googleapis.com")
    paths = {
        "AUTHORIZATION_URL": "/o/oauth2/auth",
        "ACCESS_TOKEN_URL": "/o/oauth2/token",
        "USER_DATA_URL": "/oauth2/v3/userinfo",
        "JWKS_URI": "/oauth2/v3/certs",
    }
    issuer = "https://accounts.google.com"

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__(client_id, client_secret)
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._key_id = secrets.token_hex(8)

    def add_user_data_routes(self, app: web.Application) -> None:
        app.router.add_get(self.paths["USER_DATA_URL"], self._userinfo)
        app.router.add_get(self.paths["JWKS_URI"], self._certs)

    def token_body(self, access_token: str, grant: _Grant) -> dict[str, Any]:
        body = {
            "access_token": access_token,
            "expires_in": 3599,
            "scope": " ".join(sorted(grant.scope)),
            "token_type": "Bearer",
        }
        if "openid" in grant.scope:
            body["id_token"] = self._id_token(grant)
        return body

    def _claims(self, grant: _Grant) -> dict[str, Any]:
        """The OpenID claims the granted scopes allow, leaving out what the account lacks."""
        person, scope = grant.identity, grant.scope
        claims: dict[str, Any] = {"sub": person.uid}
        if "email" in scope:
            claims |= _without_none(
                {"email": person.email, "email_verified": person.email_verified}
            )
        if "profile" in scope:
            claims |= _without_none({"name": person.name, "picture": person.picture})
        return claims

    def _id_token(self, grant: _Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "azp": self.client_id,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            **_without_none({"nonce": grant.code.nonce}),
            **self._claims(grant),
        }
        return jwt.encode(claims, self._signing_key, "RS256", headers={"kid": self._key_id})

    async def _certs(self, request: web.Request) -> web.Response:
        key = RSAAlgorithm.to_jwk(self._signing_key.public_key(), as_dict=True)
        key |= {"kid": self._key_id, "alg": "RS256", "use": "sig"}
        return web.json_response({"keys": [key]})

    def bad_token(self) -> web.Response:
        body = {"error": "invalid_request", "error_description": "Invalid Credentials"}
        return web.json_response(
            body,
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        )

    async def _userinfo(self, request: web.Request) -> web.Response:
        grant = self.grant_for(request)
        if grant is None:
            return self.bad_token()
        return web.json_response(self._claims(grant))


class GithubPeer(ProviderPeer):
    """github.com's OAuth app endpoints and api.github.com's ``/user`` and ``/user/emails``."""

    kind = "github"
    client_auth = "body"
    requires_scope = False  # no scope: read-only access to public information
    real_origins = ("https://github.com", "https://api.github.com")
    paths = {
        "AUTHORIZATION_URL": "/login/oauth/authorize",
        "ACCESS_TOKEN_URL": "/login/oauth/access_token",
        "API_URL": "/",
        "USER_DATA_URL": "/user",
        "USER_EMAILS_URL": "/user/emails",
    }
    token_schemes = ("token", "bearer")
    documentation_url = "https://docs.github.com/rest"

    def __init__(self, client_id: str, client_secret: str) -> None:
        super().__init__(client_id, client_secret)
        # GitHub shows the email on /user only when the user made it public.
        self.email_public = False

    def add_user_data_routes(self, app: web.Application) -> None:
        app.router.add_get(self.paths["USER_DATA_URL"], self._user)
        app.router.add_get(self.paths["USER_EMAILS_URL"], self._emails)

    def scope_of(self, scope: str) -> set[str]:
        return {part.strip() for part in scope.replace(" ", ",").split(",") if part.strip()}

    def token_body(self, access_token: str, grant: _Grant) -> dict[str, Any]:
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "scope": ",".join(sorted(grant.scope)),
        }

    def token_error(self, refusal: _Refusal) -> web.Response:
        # GitHub answers a refused exchange with 200 and an error body.
        error = {
            "invalid_client": "incorrect_client_credentials",
            "invalid_grant": "bad_verification_code",
        }.get(refusal.error, refusal.error)
        body = {
            "error": error,
            "error_description": refusal.description,
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/"
            "troubleshooting-oauth-app-access-token-request-errors",
        }
        return web.json_response(body, status=200)

    def bad_token(self) -> web.Response:
        body = {"message": "Bad credentials", "documentation_url": self.documentation_url}
        return web.json_response(body, status=401)

    async def _user(self, request: web.Request) -> web.Response:
        grant = self.grant_for(request)
        if grant is None:
            return self.bad_token()
        person = grant.identity
        login = person.username
        return web.json_response(
            {
                "login": login,
                "id": int(person.uid) if person.uid.isdigit() else person.uid,
                "avatar_url": person.picture,
                "html_url": f"https://github.com/{login}" if login else None,
                "type": "User",
                "name": person.name,
                "email": person.email if self.email_public and person.email_verified else None,
            }
        )

    async def _emails(self, request: web.Request) -> web.Response:
        grant = self.grant_for(request)
        if grant is None:
            return self.bad_token()
        if not grant.scope & {"user", "user:email"}:
            body = {"message": "Not Found", "documentation_url": self.documentation_url}
            return web.json_response(body, status=404)
        person = grant.identity
        if person.email is None:
            return web.json_response([])
        entry = {
            "email": person.email,
            "primary": True,
            "verified": person.email_verified,
            "visibility": "public" if self.email_public else "private",
        }
        return web.json_response([_without_none(entry)])


class TwitterPeer(ProviderPeer):
    """X's OAuth 2.0 (PKCE, confidential client) endpoints and ``GET /2/users/me``."""

    kind = "twitter"
    client_auth = "basic"
    requires_pkce = True
    real_origins = (
        "https://twitter.com",
        "https://api.twitter.com",
        "https://x.com",
        "https://api.x.com",
    )
    paths = {
        "AUTHORIZATION_URL": "/i/oauth2/authorize",
        "ACCESS_TOKEN_URL": "/2/oauth2/token",
        "USER_DATA_URL": "/2/users/me",
    }

    def add_user_data_routes(self, app: web.Application) -> None:
        app.router.add_get(self.paths["USER_DATA_URL"], self._me)

    def token_body(self, access_token: str, grant: _Grant) -> dict[str, Any]:
        return {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access_token,
            "scope": " ".join(sorted(grant.scope)),
        }

    def bad_token(self) -> web.Response:
        body = {
            "title": "Unauthorized",
            "type": "about:blank",
            "status": 401,
            "detail": "Unauthorized",
        }
        return web.json_response(body, status=401)

    async def _me(self, request: web.Request) -> web.Response:
        grant = self.grant_for(request)
        if grant is None:
            return self.bad_token()
        if not {"users.read", "tweet.read"} <= grant.scope:
            body = {
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
                "detail": "Missing scopes: users.read tweet.read",
            }
            return web.json_response(body, status=403)
        person = grant.identity
        fields = set(request.query.get("user.fields", "").split(","))
        user = {"id": person.uid, "name": person.name, "username": person.username}
        if "profile_image_url" in fields:
            user["profile_image_url"] = person.picture
        # X sends no email: the backend does not ask for one.
        return web.json_response({"data": _without_none(user)})


PEERS: dict[str, type[ProviderPeer]] = {
    "google": GooglePeer,
    "github": GithubPeer,
    "twitter": TwitterPeer,
}
CLIENT_IDS = {
    "google": "{}.apps.googleusercontent.com",
    "github": "Ov23li{}",
    "twitter": "{}",
}


class _Server:
    """An aiohttp app served by its own thread and event loop on 127.0.0.1, port 0."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="oauth-peer", daemon=True)
        self.port = 0
        self._error: BaseException | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def _serve(self) -> None:
        runner = web.AppRunner(self._app, access_log=None)
        try:
            self._loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            self._loop.run_until_complete(site.start())
            self.port = int(runner.addresses[0][1])
        except BaseException as error:  # handed to the starting thread
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()


class running_provider_peer:  # used like a function, as ``with`` or ``async with``
    """Start a peer of ``kind`` ("google", "github" or "twitter") for the block's duration."""

    def __init__(self, kind: str) -> None:
        peer_class = PEERS[kind]
        self.peer = peer_class(
            client_id=CLIENT_IDS[kind].format(secrets.token_hex(8)),
            client_secret=secrets.token_urlsafe(24),
        )
        self._server = _Server(self.peer.app())

    def __enter__(self) -> ProviderPeer:
        self._server.start()
        self.peer.base_url = f"http://127.0.0.1:{self._server.port}"
        return self.peer

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.stop()

    async def __aenter__(self) -> ProviderPeer:
        return await asyncio.to_thread(self.__enter__)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self._server.stop)


@contextmanager
def provider_traffic_to(*peers: ProviderPeer) -> Iterator[None]:
    """Send ``requests`` calls for the real providers' hosts to these peers instead.

    The peers serve the providers' own paths, so only the origin changes, the way a test DNS
    would: the backends' hard-coded user-data URLs then reach the peers unchanged.
    """
    routes = {origin: peer.base_url for peer in peers for origin in peer.real_origins}
    original = requests.request

    def routed(method: str, url: str, **kwargs: Any) -> requests.Response:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin in routes:
            local = urlsplit(routes[origin])
            url = urlunsplit((local.scheme, local.netloc, parts.path, parts.query, ""))
        return original(method, url, **kwargs)

    with mock.patch("requests.request", routed):
        yield


def kinds(*names: str) -> pytest.MarkDecorator:
    """Run a test once per provider kind, each with its peer as the ``peer`` fixture."""
    return pytest.mark.parametrize("peer", names, indirect=True)

"""A partner app acting for a user: OAuth 2.0's authorization code flow with PKCE (RFC 6749,
RFC 7636), run by authlib's generic server.

authlib's server is synchronous and our storage is not. So each step reads its rows first
(the app, its live keys, the code's grant), lets authlib run the protocol on them in memory,
and writes what it decided afterwards; a code's single use is a conditional update, so two
exchanges of one code cannot both win. PKCE with S256 is required of every app.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge

from core import clock, limits
from core.errors import BadUserInput
from models.accounts import User
from models.audit import AuditAction
from models.partner_apps import PartnerApp, PartnerGrant, PartnerKey, PartnerScope
from services.client import ClientInfo
from services.partner_apps import CLIENT_ID_PREFIX, credential_digest, record

# What a partner sends to act for a user; told from keys and session tokens by its prefix.
TOKEN_PREFIX = "mpu_live_"
# The authorization request's parameters (RFC 6749 §4.1.1, RFC 7636 §4.3).
AUTHORIZATION_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


class _Payload(OAuth2Payload):
    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for name, value in pairs:
            self._datalist[name].append(value)
        self._data = {name: values[0] for name, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):
    """A request as authlib reads it, from parameters our edge has already read."""

    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], pairs: list[tuple[str, str]]
    ) -> None:
        super().__init__(method, uri, headers=dict(headers))
        self.payload = _Payload(pairs)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data if self.method == "POST" else {}


@dataclass
class _Client(ClientMixin):
    """A live app, with the hashes of its live keys: a key is its client secret."""

    app: PartnerApp
    key_hashes: frozenset[str]
    secret_key: str

    def get_client_id(self) -> str:
        return f"{CLIENT_ID_PREFIX}{self.app.id}"

    def get_default_redirect_uri(self) -> str | None:
        return self.app.redirect_uris[0] if len(self.app.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str) -> str | None:
        """Every scope asked for, when the app may use each (never more): else refused."""
        asked = set(scope.split()) if scope else set()
        if not asked or not asked <= set(self.app.scopes):
            return None
        return " ".join(sorted(asked))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return credential_digest(self.secret_key, client_secret) in self.key_hashes

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in _CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == AuthorizationCodeGrant.GRANT_TYPE


@dataclass
class _Code:
    """A grant waiting for its code to be exchanged, as authlib's grant reads it."""

    grant: PartnerGrant
    code_challenge_method: str = "S256"

    @property
    def code_challenge(self) -> str:
        return self.grant.code_challenge

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return " ".join(self.grant.scopes)


class _S256Required(CodeChallenge):
    """PKCE for every app, and only its S256 method (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Send a PKCE code_challenge with code_challenge_method S256.")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
    server: _Server

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        self.server.decided.code = code
        self.server.decided.scopes = (request.scope or "").split()
        self.server.decided.redirect_uri = request.payload.redirect_uri or ""
        self.server.decided.challenge = request.payload.data["code_challenge"]

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        pending = self.server.pending
        if pending is None or pending.grant.app_id != client.app.id:
            return None
        if credential_digest(client.secret_key, code) != pending.grant.code_hash:
            return None
        return pending

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Spent when the token is stored (``exchange_code``), conditionally."""

    def authenticate_user(self, authorization_code: _Code) -> int:
        return authorization_code.grant.user_id


@dataclass
class _Decided:
    """What authlib decided in memory, for us to store."""

    code: str | None = None
    scopes: list[str] = field(default_factory=list)
    redirect_uri: str = ""
    challenge: str = ""
    token: dict[str, Any] | None = None


def _new_token(*args: Any, **kwargs: Any) -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class _Server(AuthorizationServer):
    def __init__(self, client: _Client | None, pending: _Code | None = None) -> None:
        super().__init__(scopes_supported=[scope.value for scope in PartnerScope])
        self.client = client
        self.pending = pending
        self.decided = _Decided()
        self.register_grant(_CodeGrant, [_S256Required(required=True)])
        lifetime = int(limits.PARTNER_TOKEN_LIFETIME.total_seconds())
        self.register_token_generator(
            "default",
            BearerTokenGenerator(_new_token, expires_generator=lambda client, grant: lifetime),
        )

    def query_client(self, client_id: str) -> _Client | None:
        if self.client is not None and self.client.get_client_id() == client_id:
            return self.client
        return None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.decided.token = token

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, Any]:
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass


async def _client(secret_key: str, client_id: str | None) -> _Client | None:
    """The live app a client_id names, with its live keys."""
    if not client_id or not client_id.startswith(CLIENT_ID_PREFIX):
        return None
    number = client_id.removeprefix(CLIENT_ID_PREFIX)
    if not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    app = await PartnerApp.get_or_none(id=int(number), revoked_at__isnull=True)
    if app is None:
        return None
    now = clock.now()
    keys = await PartnerKey.filter(app_id=app.id, revoked_at__isnull=True)
    live = {key.key_hash for key in keys if key.expires_at is None or key.expires_at > now}
    return _Client(app=app, key_hashes=frozenset(live), secret_key=secret_key)


async def authorize(
    secret_key: str, user: User, parameters: Mapping[str, str], client: ClientInfo
) -> str:
    """The user consents to an authorization request: the URI to send their browser to,
    the app's redirect URI with a code (or, for a request the app got wrong, an error).
    A request whose app or redirect URI is unknown is refused here, never redirected."""
    pairs = [(name, value) for name, value in parameters.items() if value]
    server = _Server(await _client(secret_key, parameters.get("client_id")))
    request = _Request("GET", f"https://authorize.invalid/?{urlencode(pairs)}", {}, pairs)
    try:
        grant = server.get_authorization_grant(request)
    except OAuth2Error as error:
        raise BadUserInput(f"This authorization request is refused: {error.error}.") from None
    status, _, headers = server.create_authorization_response(request, user.id, grant)
    location = dict(headers).get("Location") if status == 302 else None
    if location is None:
        raise BadUserInput("This authorization request names no app or redirect URI in use.")
    decided = server.decided
    if decided.code is not None and server.client is not None:
        app = server.client.app
        await PartnerGrant.create(
            app=app,
            user=user,
            scopes=decided.scopes,
            redirect_uri=decided.redirect_uri,
            code_hash=credential_digest(secret_key, decided.code),
            code_challenge=decided.challenge,
            code_expires_at=clock.now() + limits.PARTNER_CODE_LIFETIME,
        )
        await record(
            AuditAction.PARTNER_GRANT_GIVEN,
            app,
            user.id,
            client,
            subject_id=user.id,
            scopes=decided.scopes,
        )
    return str(location)


def _basic_client_id(authorization: str) -> str | None:
    client_id, _ = extract_basic_authorization({"Authorization": authorization})
    return str(client_id) if client_id else None


async def exchange_code(
    secret_key: str,
    uri: str,
    headers: Mapping[str, str],
    form: list[tuple[str, str]],
    client: ClientInfo,
) -> tuple[int, dict[str, Any]]:
    """The token endpoint: the app, authenticated by one of its keys, exchanges a code and its
    PKCE verifier for a token that acts for the user. Answers the status and JSON body."""
    data = dict(form)
    client_id = data.get("client_id") or _basic_client_id(headers.get("Authorization", ""))
    partner = await _client(secret_key, client_id)
    pending = None
    if partner is not None and data.get("code"):
        grant = await PartnerGrant.get_or_none(
            code_hash=credential_digest(secret_key, data["code"]),
            code_used_at__isnull=True,
            code_expires_at__gt=clock.now(),
            revoked_at__isnull=True,
        )
        pending = _Code(grant) if grant is not None else None
    server = _Server(partner, pending)
    status, body, _ = server.create_token_response(_Request("POST", uri, headers, form))
    token = server.decided.token
    if status != 200 or token is None or pending is None or partner is None:
        return status, dict(body)
    now = clock.now()
    stored = await PartnerGrant.filter(id=pending.grant.id, code_used_at__isnull=True).update(
        code_used_at=now,
        token_hash=credential_digest(secret_key, token["access_token"]),
        token_expires_at=now + limits.PARTNER_TOKEN_LIFETIME,
    )
    if not stored:
        return 400, {"error": "invalid_grant", "error_description": "The code was used."}
    await record(
        AuditAction.PARTNER_TOKEN_ISSUED,
        partner.app,
        None,
        client,
        subject_id=pending.grant.user_id,
        grant=pending.grant.id,
    )
    return status, dict(body)

"""The loopback Google, GitHub and X peers speak what social-auth-core's real backends expect.

Each flow runs the unchanged backend: its authorization URL is followed with ``requests`` (the
peer consents at once), then ``auth_complete`` makes the backend's own token and user-data calls.
Only the pipeline is left out (our strategy's ``authenticate`` hands back what it was given): it
is the integration's business, not the peers'.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from social_core.backends.base import BaseAuth
from social_core.backends.github import GithubOAuth2
from social_core.backends.google import GoogleOAuth2
from social_core.backends.twitter_oauth2 import TwitterOAuth2
from social_core.exceptions import AuthException
from social_core.storage import BaseStorage, NonceMixin
from social_core.strategy import BaseStrategy
from social_core.utils import setting_name

from tests.support.oauth_peers import (
    GithubPeer,
    Identity,
    ProviderPeer,
    provider_traffic_to,
    running_provider_peer,
)

REDIRECT_URI = "http://127.0.0.1:8080/auth/complete/provider"

ADA = Identity(
    uid="4242",
    email="ada@example.org",
    email_verified=True,
    name="Ada Lovelace",
    picture="https://images.example.org/ada.png",
    username="ada",
)


class _Nonces(NonceMixin):
    used: set[tuple[str, str]] = set()

    @classmethod
    def use(cls, server_url: str, timestamp: Any, salt: str) -> bool:
        cls.used.add((server_url, salt))
        return True

    @classmethod
    def consume(cls, server_url: str, timestamp: int, salt: str) -> bool:
        if (server_url, salt) not in cls.used:
            return False
        cls.used.remove((server_url, salt))
        return True


class _Storage(BaseStorage):
    nonce = _Nonces


class _Strategy(BaseStrategy[Any]):
    """Just enough of a strategy for one browser: a session dict and the callback's query."""

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(storage=_Storage)
        self.settings = settings
        self.session: dict[str, Any] = {}
        self.data: dict[str, str] = {}

    def get_setting(self, name: str) -> Any:
        return self.settings[name]

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return self.data

    def session_get(self, name: str, default: Any = None) -> Any:
        return self.session.get(name, default)

    def session_set(self, name: str, value: Any) -> None:
        self.session[name] = value

    def session_pop(self, name: str) -> Any:
        return self.session.pop(name, None)

    def build_absolute_uri(self, path: str | None = None) -> str:
        return path or ""

    def authenticate(self, backend: Any, *args: Any, **kwargs: Any) -> Any:
        return kwargs


class Browser:
    """One user agent going through the backend's authorization-code flow."""

    def __init__(self, backend_class: type[BaseAuth[Any]], peer: ProviderPeer, **settings: Any):
        self.backend_class = backend_class
        configured = {
            "KEY": peer.client_id,
            "SECRET": peer.client_secret,
            "AUTHORIZATION_URL": peer.urls()["AUTHORIZATION_URL"],
            "ACCESS_TOKEN_URL": peer.urls()["ACCESS_TOKEN_URL"],
        } | settings
        self.strategy = _Strategy(
            {setting_name(backend_class.name, key): value for key, value in configured.items()}
        )

    def backend(self) -> Any:
        return self.backend_class(self.strategy, redirect_uri=REDIRECT_URI)

    def authorize(self) -> dict[str, str]:
        """Follow the backend's authorization URL; the query the peer redirects back with."""
        response = requests.get(self.backend().auth_url(), allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.text
        location = response.headers["Location"]
        assert location.startswith(REDIRECT_URI + "?")
        return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}

    def complete(self, callback: dict[str, str]) -> dict[str, Any]:
        """The callback request: the backend exchanges the code and loads the user data."""
        self.strategy.data = callback
        backend = self.backend()
        result: dict[str, Any] = backend.auth_complete()
        result["details"] = backend.get_user_details(result["response"])
        result["uid"] = backend.get_user_id(result["details"], result["response"])
        return result

    def sign_in(self) -> dict[str, Any]:
        return self.complete(self.authorize())


@pytest.fixture
def google() -> Iterator[ProviderPeer]:
    with running_provider_peer("google") as peer, provider_traffic_to(peer):
        yield peer


@pytest.fixture
def github() -> Iterator[ProviderPeer]:
    with running_provider_peer("github") as peer, provider_traffic_to(peer):
        yield peer


@pytest.fixture
def twitter() -> Iterator[ProviderPeer]:
    with running_provider_peer("twitter") as peer, provider_traffic_to(peer):
        yield peer


def _details(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result["details"].items() if value}


# -- Google ----------------------------------------------------------------------------------


def test_google_backend_signs_in_with_the_openid_userinfo_claims(google: ProviderPeer) -> None:
    google.sign_in_as(ADA)

    result = Browser(GoogleOAuth2, google).sign_in()

    assert result["uid"] == "4242"
    assert {key: result["response"][key] for key in ("sub", "email", "email_verified")} == {
        "sub": "4242",
        "email": "ada@example.org",
        "email_verified": True,
    }
    assert result["response"]["name"] == "Ada Lovelace"
    assert result["response"]["picture"] == "https://images.example.org/ada.png"
    assert result["response"]["token_type"] == "Bearer"
    [exchange] = google.token_requests
    assert exchange.basic_auth is None
    assert exchange.form["client_id"] == google.client_id
    assert exchange.form["client_secret"] == google.client_secret
    assert exchange.form["redirect_uri"] == REDIRECT_URI
    assert google.user_data_requests[0][0] == "/oauth2/v3/userinfo"


def test_google_id_token_is_signed_with_the_published_key(google: ProviderPeer) -> None:
    google.sign_in_as(ADA)

    id_token = Browser(GoogleOAuth2, google).sign_in()["response"]["id_token"]

    key = jwt.PyJWKClient(google.urls()["JWKS_URI"]).get_signing_key_from_jwt(id_token)
    claims = jwt.decode(
        id_token,
        key,
        algorithms=["RS256"],
        audience=google.client_id,
        issuer="https://accounts.google.com",
    )
    assert {k: claims[k] for k in ("sub", "email", "email_verified", "name")} == {
        "sub": "4242",
        "email": "ada@example.org",
        "email_verified": True,
        "name": "Ada Lovelace",
    }


def test_google_leaves_out_claims_the_account_does_not_have(google: ProviderPeer) -> None:
    google.sign_in_as(Identity(uid="77", email="bo@example.org", email_verified=True))

    result = Browser(GoogleOAuth2, google).sign_in()

    assert {k: v for k, v in result["response"].items() if "token" not in k and k != "scope"} == {
        "sub": "77",
        "email": "bo@example.org",
        "email_verified": True,
        "expires_in": 3599,
    }


def test_google_backend_refuses_an_email_google_did_not_verify(google: ProviderPeer) -> None:
    google.sign_in_as(Identity(uid="78", email="cy@example.org", email_verified=False))

    with pytest.raises(AuthException) as refused:
        Browser(GoogleOAuth2, google).sign_in()

    assert (refused.value.code, refused.value.claim) == ("invalid_claim", "email_verified")


def test_google_userinfo_refuses_a_missing_or_unknown_token(google: ProviderPeer) -> None:
    url = google.urls()["USER_DATA_URL"]

    for headers in ({}, {"Authorization": "Bearer forged"}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "Invalid Credentials",
        }


# -- GitHub ----------------------------------------------------------------------------------


def test_github_private_email_comes_only_from_user_emails(github: ProviderPeer) -> None:
    github.sign_in_as(ADA)

    result = Browser(GithubOAuth2, github, SCOPE=["user:email"]).sign_in()

    assert result["uid"] == 4242
    assert result["response"]["login"] == "ada"
    assert result["response"]["avatar_url"] == "https://images.example.org/ada.png"
    assert result["response"]["emails"] == [
        {"email": "ada@example.org", "primary": True, "verified": True, "visibility": "private"}
    ]
    assert _details(result) == {
        "username": "ada",
        "email": "ada@example.org",
        "fullname": "Ada Lovelace",
    }
    user_json = requests.get(
        github.urls()["USER_DATA_URL"],
        headers={"Authorization": f"token {result['response']['access_token']}"},
        timeout=5,
    ).json()
    assert user_json["email"] is None
    [exchange] = github.token_requests
    assert exchange.basic_auth is None
    assert exchange.form["client_secret"] == github.client_secret


def test_github_public_email_is_on_user(github: ProviderPeer) -> None:
    assert isinstance(github, GithubPeer)
    github.email_public = True
    github.sign_in_as(ADA)

    result = Browser(GithubOAuth2, github).sign_in()

    assert result["response"]["email"] == "ada@example.org"
    assert "emails" not in result["response"]  # the backend had no reason to ask


def test_github_user_emails_needs_the_user_email_scope(github: ProviderPeer) -> None:
    github.sign_in_as(ADA)

    result = Browser(GithubOAuth2, github).sign_in()

    assert result["details"]["email"] == ""
    [_, emails_call] = github.user_data_requests
    assert emails_call[0] == "/user/emails"


def test_github_reports_an_unverified_email_and_a_missing_name(github: ProviderPeer) -> None:
    github.sign_in_as(
        Identity(uid="9", email="dee@example.org", email_verified=False, username="dee")
    )

    result = Browser(GithubOAuth2, github, SCOPE=["user:email"]).sign_in()

    assert result["response"]["name"] is None
    assert result["response"]["emails"][0]["verified"] is False


def test_github_refuses_a_replayed_code_with_its_200_error(github: ProviderPeer) -> None:
    github.sign_in_as(ADA)
    browser = Browser(GithubOAuth2, github)
    callback = browser.authorize()
    browser.complete(callback)
    form = dict(github.token_requests[0].form)

    replay = requests.post(
        github.urls()["ACCESS_TOKEN_URL"],
        data=form,
        headers={"Accept": "application/json"},
        timeout=5,
    )

    assert replay.status_code == 200
    assert replay.json()["error"] == "bad_verification_code"
    assert github.live_tokens == 0  # what the code bought is revoked


def test_github_bad_token_answers_bad_credentials(github: ProviderPeer) -> None:
    response = requests.get(
        github.urls()["USER_DATA_URL"], headers={"Authorization": "token nope"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"


# -- X ---------------------------------------------------------------------------------------


def test_x_backend_uses_pkce_and_basic_auth_and_gets_no_email(twitter: ProviderPeer) -> None:
    twitter.sign_in_as(ADA)

    result = Browser(TwitterOAuth2, twitter).sign_in()

    assert result["uid"] == "4242"
    assert {key: result["response"][key] for key in ("id", "name", "username")} == {
        "id": "4242",
        "name": "Ada Lovelace",
        "username": "ada",
    }
    assert result["response"]["profile_image_url"] == "https://images.example.org/ada.png"
    assert "email" not in result["response"]
    [code] = twitter.issued_codes
    assert code.code_challenge and code.code_challenge_method in ("S256", "s256")
    [exchange] = twitter.token_requests
    assert exchange.basic_auth == (twitter.client_id, twitter.client_secret)
    assert "client_secret" not in exchange.form
    assert exchange.form["code_verifier"]
    assert exchange.status == 200


def test_x_authorize_requires_a_pkce_challenge(twitter: ProviderPeer) -> None:
    twitter.sign_in_as(ADA)
    query = {
        "client_id": twitter.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": "s1",
    }
    url = twitter.urls()["AUTHORIZATION_URL"]

    missing = requests.get(url, params=query, allow_redirects=False, timeout=5)
    plain = requests.get(
        url,
        params=query | {"code_challenge": "abc", "code_challenge_method": "plain"},
        allow_redirects=False,
        timeout=5,
    )

    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
    assert (plain.status_code, plain.json()["error"]) == (400, "invalid_request")
    assert twitter.issued_codes == []


def test_x_refuses_a_wrong_verifier_and_a_replayed_code(twitter: ProviderPeer) -> None:
    twitter.sign_in_as(ADA)
    browser = Browser(TwitterOAuth2, twitter)
    callback = browser.authorize()
    browser.complete(callback)
    exchange = twitter.token_requests[0]
    url = twitter.urls()["ACCESS_TOKEN_URL"]
    auth = (twitter.client_id, twitter.client_secret)

    replay = requests.post(url, data=exchange.form, auth=auth, timeout=5)
    callback = browser.authorize()
    code = twitter.code_for_state(callback["state"])
    wrong = exchange.form | {"code": code.code, "code_verifier": "x" * 43}
    forged = requests.post(url, data=wrong, auth=auth, timeout=5)
    right_after_wrong = browser.complete  # the code is spent even by a failed attempt

    assert (replay.status_code, replay.json()["error"]) == (400, "invalid_grant")
    assert (forged.status_code, forged.json()["error"]) == (400, "invalid_request")
    with pytest.raises(AuthException):
        right_after_wrong(callback)
    assert twitter.live_tokens == 0


def test_x_token_endpoint_requires_basic_client_auth(twitter: ProviderPeer) -> None:
    response = requests.post(
        twitter.urls()["ACCESS_TOKEN_URL"],
        data={
            "grant_type": "authorization_code",
            "code": "c",
            "client_id": twitter.client_id,
            "client_secret": twitter.client_secret,
        },
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized_client"


def test_x_users_me_refuses_an_unknown_token(twitter: ProviderPeer) -> None:
    response = requests.get(
        twitter.urls()["USER_DATA_URL"], headers={"Authorization": "Bearer nope"}, timeout=5
    )

    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"


# -- Every provider --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["google", "github", "twitter"])
def test_authorize_checks_client_redirect_uri_and_state(kind: str) -> None:
    with running_provider_peer(kind) as peer:
        peer.sign_in_as(ADA)
        valid = {
            "client_id": peer.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "state": "s1",
            "scope": "openid users.read",
            "code_challenge": "c" * 43,
            "code_challenge_method": "S256",
        }
        url = peer.urls()["AUTHORIZATION_URL"]

        def answer(**changes: str | None) -> tuple[int, str]:
            query = {k: v for k, v in (valid | changes).items() if v is not None}
            response = requests.get(url, params=query, allow_redirects=False, timeout=5)
            if response.status_code == 302:
                return 302, response.headers["Location"]
            return response.status_code, response.json()["error"]

        assert answer(client_id="someone-else") == (401, "invalid_client")
        assert answer(redirect_uri=None) == (400, "invalid_request")
        assert answer(state=None) == (400, "invalid_request")
        assert answer(response_type="token") == (400, "unsupported_response_type")
        assert answer(scope=None)[0] == (302 if kind == "github" else 400)  # GitHub: optional
        peer.redirect_uris = {REDIRECT_URI}
        assert answer(redirect_uri="https://evil.example/cb") == (400, "redirect_uri_mismatch")
        status, location = answer()
        assert status == 302
        assert location == f"{REDIRECT_URI}?code={peer.issued_codes[-1].code}&state=s1"


@pytest.mark.parametrize("kind", ["google", "github", "twitter"])
def test_code_is_bound_to_its_redirect_uri(kind: str) -> None:
    with running_provider_peer(kind) as peer:
        peer.sign_in_as(ADA)
        query = {
            "client_id": peer.client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "state": "s1",
            "scope": "openid users.read tweet.read",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
        requests.get(peer.urls()["AUTHORIZATION_URL"], params=query, allow_redirects=False)
        form = {
            "grant_type": "authorization_code",
            "code": peer.issued_codes[0].code,
            "redirect_uri": "http://127.0.0.1:9/elsewhere",
            "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wnbz4jKfKbUI",
            "client_id": peer.client_id,
            "client_secret": peer.client_secret,
        }

        requests.post(
            peer.urls()["ACCESS_TOKEN_URL"],
            data=form,
            auth=(peer.client_id, peer.client_secret) if kind == "twitter" else None,
            headers={"Accept": "application/json"},
            timeout=5,
        )

        [refused] = peer.token_requests
        assert refused.error is not None
        assert peer.live_tokens == 0


@pytest.mark.parametrize(
    ("kind", "backend_class"),
    [("google", GoogleOAuth2), ("github", GithubOAuth2), ("twitter", TwitterOAuth2)],
)
def test_refused_consent_comes_back_as_access_denied(
    kind: str, backend_class: type[BaseAuth[Any]]
) -> None:
    with running_provider_peer(kind) as peer:
        peer.refuse_consent()
        browser = Browser(backend_class, peer)

        callback = browser.authorize()

        assert set(callback) == {"error", "state"}
        assert callback["error"] == "access_denied"
        with pytest.raises(AuthException):
            browser.complete(callback)
        assert peer.token_requests == []


async def test_peer_serves_while_the_test_loop_waits_on_a_blocking_backend() -> None:
    async with running_provider_peer("twitter") as peer:
        peer.sign_in_as(ADA)
        with provider_traffic_to(peer):
            result = await asyncio.to_thread(Browser(TwitterOAuth2, peer).sign_in)

    assert result["response"]["username"] == "ada"

"""Google, GitHub and X log-in end to end (P8, P9): social-auth-core's real backends against
loopback peers that speak each provider's documented endpoints, reached through the
endpoint URLs our settings point elsewhere (nothing patched)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from app.sessions import SESSION_COOKIE
from core.runtime import Runtime
from core.settings import SocialProvider
from models.accounts import User
from models.audit import AuditAction, AuditEntry
from tests.support.graphql import GraphQLClient
from tests.support.oauth_peers import Identity, ProviderPeer, kinds
from tests.support.users import UserFactory

pytestmark = [pytest.mark.promise("P8"), pytest.mark.promise("P9")]

BACKENDS = {"google": "google-oauth2", "github": "github", "twitter": "twitter-oauth2"}
ME = """query { me { email emailVerified name socialAccounts { provider uid
  importedFields { field } } } }"""
NEXT = "http://127.0.0.1:8000/home"


def endpoints(peer: ProviderPeer) -> tuple[tuple[str, str], ...]:
    """The peer's URLs under our settings' names for them."""
    names = {"USER_DATA_URL": "USERINFO_URL"}
    urls = peer.urls()
    wanted = ("AUTHORIZATION_URL", "ACCESS_TOKEN_URL", "USER_DATA_URL", "API_URL")
    return tuple((names.get(k, k), v) for k, v in urls.items() if k in wanted)


@pytest.fixture
async def provider(runtime: Runtime, peer: ProviderPeer) -> AsyncIterator[SocialProvider]:
    backend = BACKENDS[peer.kind]
    configured = SocialProvider(
        name=backend,
        backend=backend,
        title=peer.kind,
        client_id=peer.client_id,
        client_secret=peer.client_secret,
        endpoints=endpoints(peer),
    )
    before = runtime.settings
    runtime.settings = before.with_overrides(social_providers=(configured,))
    yield configured
    runtime.settings = before


async def through_the_provider(
    http: TestClient[Any, Any], provider: SocialProvider, cookies: dict[str, str]
) -> str:
    """A whole login in one browser (``cookies``); where it ends up."""

    def header() -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}

    async def get(path: str) -> str:
        response = await http.get(path, headers=header(), allow_redirects=False)
        for name, morsel in response.cookies.items():
            cookies[name] = morsel.value
        assert response.status == 302, await response.text()
        return response.headers["Location"]

    to_provider = await get(f"/auth/login/{provider.name}?next={NEXT}")
    async with (
        aiohttp.ClientSession() as session,
        session.get(to_provider, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        back = urlsplit(answer.headers["Location"])
    assert back.path == f"/auth/complete/{provider.name}"
    return await get(f"{back.path}?{back.query}")


@kinds("google", "github")
async def test_sign_up_and_log_in_again(
    http: TestClient[Any, Any], graphql: GraphQLClient, peer: ProviderPeer, provider: Any
) -> None:
    peer.sign_in_as(
        Identity(uid="31337", email="pat@example.org", email_verified=True, name="Pat Doe")
    )
    cookies: dict[str, str] = {}
    assert await through_the_provider(http, provider, cookies) == NEXT
    me = (await graphql.data(ME, token=cookies[SESSION_COOKIE]))["me"]
    assert (me["email"], me["emailVerified"], me["name"]) == ("pat@example.org", True, "Pat Doe")
    assert me["socialAccounts"] == [
        {
            "provider": provider.name,
            "uid": "31337",
            "importedFields": [{"field": "EMAIL"}, {"field": "NAME"}],
        }
    ]
    again: dict[str, str] = {}
    assert await through_the_provider(http, provider, again) == NEXT
    user = await User.get(email="pat@example.org")
    logins = await AuditEntry.filter(subject_id=user.id, action=AuditAction.LOGIN).count()
    assert logins == 2


@kinds("google")
async def test_google_without_a_verified_email_is_refused(
    http: TestClient[Any, Any], peer: ProviderPeer, provider: Any
) -> None:
    peer.sign_in_as(Identity(uid="555", email="ray@example.org", email_verified=False))
    cookies: dict[str, str] = {}
    refused = await through_the_provider(http, provider, cookies)
    assert parse_qs(urlsplit(refused).query)["error"] == ["PROVIDER_ERROR"]
    assert SESSION_COOKIE not in cookies
    assert await User.filter(email="ray@example.org").count() == 0


@kinds("twitter", "github")
async def test_a_provider_without_email_links_and_then_logs_in(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    peer: ProviderPeer,
    provider: Any,
    users: UserFactory,
) -> None:
    """X never sends an email, GitHub not without one on the account: no sign-up (nothing
    to mail), but the provider links to an account and then logs in to it."""
    peer.sign_in_as(Identity(uid="777", name="Quinn", username="quinn"))
    refused = await through_the_provider(http, provider, {})
    assert parse_qs(urlsplit(refused).query)["error"] == ["EMAIL_REQUIRED"]
    assert await User.filter(name="Quinn").count() == 0

    owner = await users.create(email="quinn@example.org", name="Quinn Q")
    assert await through_the_provider(http, provider, {SESSION_COOKIE: owner.token}) == NEXT
    fresh: dict[str, str] = {}
    assert await through_the_provider(http, provider, fresh) == NEXT
    me = (await graphql.data(ME, token=fresh[SESSION_COOKIE]))["me"]
    assert me["email"] == "quinn@example.org"
    assert me["socialAccounts"] == [{"provider": provider.name, "uid": "777", "importedFields": []}]
    if peer.kind == "twitter":
        used = [code.code_challenge_method for code in peer.issued_codes]
        assert used and {method.upper() for method in used} == {"S256"}


@kinds("github")
async def test_cancelling_at_the_provider_opens_no_session(
    http: TestClient[Any, Any], peer: ProviderPeer, provider: Any
) -> None:
    peer.refuse_consent()
    cookies: dict[str, str] = {}
    refused = await through_the_provider(http, provider, cookies)
    assert parse_qs(urlsplit(refused).query)["error"] == ["LOGIN_CANCELLED"]
    assert SESSION_COOKIE not in cookies
    assert await User.all().count() == 0

"""Third-party login (P8, P9): a full authorization-code flow against a real OpenID Connect
provider on loopback, driven without a browser; the account rules that keep it from taking
over accounts; what each provider sent, recorded with its source and nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from app.sessions import SESSION_COOKIE
from app.social_login import FLOW_COOKIE
from core import limits
from core.runtime import Runtime
from core.settings import OIDC_BACKEND, SocialProvider
from models.accounts import User
from models.audit import AuditAction, AuditEntry
from models.social import SocialAccount, SocialImport, SocialLoginCode
from services.privacy.archive import collect
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.oidc_provider import OidcProvider, running_oidc_provider
from tests.support.users import PASSWORD, UserFactory

pytestmark = [pytest.mark.promise("P8"), pytest.mark.promise("P9")]

SOCIAL_ACCOUNTS = document("SocialAccounts")
EXCHANGE = document("ExchangeLoginCode")
UNLINK = document("UnlinkSocialAccount")
SET_PASSWORD = document("SetPassword")
PROVIDERS = document("AuthProviders")
NEXT = "http://127.0.0.1:8000/welcome"


@pytest.fixture(scope="module")
def oidc() -> Iterator[OidcProvider]:
    with running_oidc_provider() as provider:
        yield provider


@pytest.fixture
async def configured(runtime: Runtime, oidc: OidcProvider) -> AsyncIterator[SocialProvider]:
    provider = SocialProvider(
        name="acme",
        backend=OIDC_BACKEND,
        title="Acme ID",
        client_id="mentor-api",
        client_secret="mentor-secret",
        issuer=oidc.issuer,
    )
    before = runtime.settings
    runtime.settings = before.with_overrides(social_providers=(provider,))
    yield provider
    runtime.settings = before


@dataclass
class Browser:
    """The cookies one browser holds, sent by hand (the test client keeps none)."""

    http: TestClient[Any, Any]
    oidc: OidcProvider
    cookies: dict[str, str]

    def header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def get(self, url: str) -> tuple[int, str]:
        response = await self.http.get(url, headers=self.header(), allow_redirects=False)
        for name, morsel in response.cookies.items():
            if morsel.value:
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers.get("Location", "")

    async def start(self, query: str = f"next={NEXT}") -> str:
        status, location = await self.get(f"/auth/login/acme?{query}")
        assert status == 302 and location.startswith(self.oidc.issuer), location
        return location

    async def callback(self, sub: str, query: str = f"next={NEXT}") -> str:
        """Through the provider's form as ``sub``: the callback URL it sends back to."""
        back = await self.oidc.authorize(await self.start(query), sub)
        parts = urlsplit(back)
        assert parts.path == "/auth/complete/acme", back
        return f"{parts.path}?{parts.query}"

    async def log_in_as(self, sub: str, query: str = f"next={NEXT}") -> str:
        status, location = await self.get(await self.callback(sub, query))
        assert status == 302
        return location


def browser(http: TestClient[Any, Any], oidc: OidcProvider, **cookies: str) -> Browser:
    return Browser(http, oidc, dict(cookies))


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def test_auth_providers_lists_only_what_is_configured(
    graphql: GraphQLClient, configured: SocialProvider
) -> None:
    data = await graphql.data(PROVIDERS)
    assert data["authProviders"] == [
        {"name": "acme", "title": "Acme ID", "loginUrl": "http://127.0.0.1:8000/auth/login/acme"}
    ]


async def test_sign_up_then_log_in_again_records_only_what_was_sent(
    http: TestClient[Any, Any], graphql: GraphQLClient, oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("ada-1", {"email": "ada@example.org", "email_verified": True})
    first = browser(http, oidc)
    assert await first.log_in_as("ada-1") == NEXT
    token = first.cookies[SESSION_COOKIE]

    data = await graphql.data(SOCIAL_ACCOUNTS, token=token)
    me = data["me"]
    assert (me["email"], me["emailVerified"], me["name"]) == ("ada@example.org", True, "")
    [account] = me["socialAccounts"]
    assert (account["provider"], account["uid"]) == ("acme", "ada-1")
    # No name was sent: only the email is recorded as imported, and the name stays empty.
    assert [f["field"] for f in account["importedFields"]] == ["EMAIL"]
    user = await User.get(email="ada@example.org")
    assert user.password_hash is None

    again = browser(http, oidc)
    assert await again.log_in_as("ada-1") == NEXT
    assert await User.filter(email="ada@example.org").count() == 1
    logins = await AuditEntry.filter(subject_id=user.id, action=AuditAction.LOGIN).all()
    assert [entry.detail["method"] for entry in logins] == ["OPENID_CONNECT"] * 2
    history = await graphql.data(document("LoginHistory"), token=token)
    methods = [edge["node"]["method"] for edge in history["me"]["loginHistory"]["edges"]]
    assert methods == ["OPENID_CONNECT"] * 2


async def test_a_sent_name_is_imported_with_its_source(
    http: TestClient[Any, Any], graphql: GraphQLClient, oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("bo", {"email": "bo@example.org", "email_verified": True, "name": "Bo K"})
    b = browser(http, oidc)
    await b.log_in_as("bo")
    me = (await graphql.data(SOCIAL_ACCOUNTS, token=b.cookies[SESSION_COOKIE]))["me"]
    assert me["name"] == "Bo K"
    fields = [f["field"] for f in me["socialAccounts"][0]["importedFields"]]
    assert fields == ["EMAIL", "NAME"]


async def test_verified_email_of_an_existing_account_is_refused_not_merged(
    http: TestClient[Any, Any], oidc: OidcProvider, users: UserFactory, configured: Any
) -> None:
    await users.create(email="cy@example.org")
    await oidc.set_user("cy", {"email": "cy@example.org", "email_verified": True})
    b = browser(http, oidc)
    location = await b.log_in_as("cy")
    assert query_of(location)["error"] == ["ACCOUNT_EXISTS"]
    assert SESSION_COOKIE not in b.cookies
    assert await SocialAccount.all().count() == 0


async def test_unverified_email_never_matches_an_account(
    http: TestClient[Any, Any], oidc: OidcProvider, users: UserFactory, configured: Any
) -> None:
    await users.create(email="dee@example.org")
    await oidc.set_user("dee", {"email": "dee@example.org", "email_verified": False})
    b = browser(http, oidc)
    location = await b.log_in_as("dee")
    assert query_of(location)["error"] == ["ACCOUNT_EXISTS"]
    assert SESSION_COOKIE not in b.cookies
    assert await SocialAccount.all().count() == 0


async def test_unverified_email_signs_up_unverified(
    http: TestClient[Any, Any], graphql: GraphQLClient, oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("eve", {"email": "eve@example.org", "email_verified": False})
    b = browser(http, oidc)
    await b.log_in_as("eve")
    me = (await graphql.data(SOCIAL_ACCOUNTS, token=b.cookies[SESSION_COOKIE]))["me"]
    assert me["emailVerified"] is False


async def test_link_to_the_signed_in_account_then_unlink(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    oidc: OidcProvider,
    users: UserFactory,
    configured: Any,
) -> None:
    owner = await users.create(email="fay@example.org", name="Fay")
    await oidc.set_user("fay", {"email": "fay@example.org", "email_verified": True, "name": "F"})
    b = browser(http, oidc, **{SESSION_COOKIE: owner.token})
    assert await b.log_in_as("fay") == NEXT
    me = (await graphql.data(SOCIAL_ACCOUNTS, token=owner.token))["me"]
    [account] = me["socialAccounts"]
    assert account["uid"] == "fay"
    assert me["name"] == "Fay"  # the account's own name stays; nothing was imported
    assert account["importedFields"] == []

    # Now the provider logs in to that account, from a fresh browser.
    fresh = browser(http, oidc)
    assert await fresh.log_in_as("fay") == NEXT
    session_user = await graphql.data(SOCIAL_ACCOUNTS, token=fresh.cookies[SESSION_COOKIE])
    assert session_user["me"]["email"] == "fay@example.org"

    body = await graphql.data(UNLINK, {"input": {"id": account["id"]}}, token=owner.token)
    assert body["unlinkSocialAccount"]["errors"] == []
    assert await SocialAccount.filter(user_id=owner.user.id).count() == 0


async def test_unlinking_the_only_way_to_log_in_is_refused_until_a_password_is_set(
    http: TestClient[Any, Any], graphql: GraphQLClient, oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("gus", {"email": "gus@example.org", "email_verified": True})
    b = browser(http, oidc)
    await b.log_in_as("gus")
    token = b.cookies[SESSION_COOKIE]
    [account] = (await graphql.data(SOCIAL_ACCOUNTS, token=token))["me"]["socialAccounts"]

    refused = await graphql.data(UNLINK, {"input": {"id": account["id"]}}, token=token)
    assert codes(refused["unlinkSocialAccount"]) == [("id", "LAST_LOGIN_METHOD")]
    assert await SocialAccount.all().count() == 1

    weak = await graphql.data(SET_PASSWORD, {"input": {"password": "short"}}, token=token)
    assert weak["setPassword"]["errors"][0]["code"] == "WEAK_PASSWORD"
    ok = await graphql.data(SET_PASSWORD, {"input": {"password": PASSWORD}}, token=token)
    assert ok["setPassword"]["errors"] == []
    again = await graphql.data(SET_PASSWORD, {"input": {"password": PASSWORD}}, token=token)
    assert codes(again["setPassword"]) == [("password", "PASSWORD_ALREADY_SET")]
    # The password now logs in, and changePassword is the way to change it.
    logged_in = await graphql.data(
        document("LogIn"), {"input": {"email": "gus@example.org", "password": PASSWORD}}
    )
    assert logged_in["logIn"]["errors"] == []
    unlinked = await graphql.data(UNLINK, {"input": {"id": account["id"]}}, token=token)
    assert unlinked["unlinkSocialAccount"]["errors"] == []


async def test_an_identity_linked_elsewhere_cannot_be_linked_again(
    http: TestClient[Any, Any], oidc: OidcProvider, users: UserFactory, configured: Any
) -> None:
    await oidc.set_user("hal", {"email": "hal@example.org", "email_verified": True})
    await browser(http, oidc).log_in_as("hal")
    other = await users.create(email="other@example.org")
    b = browser(http, oidc, **{SESSION_COOKIE: other.token})
    location = await b.log_in_as("hal")
    assert query_of(location)["error"] == ["SOCIAL_ACCOUNT_TAKEN"]
    assert await SocialAccount.filter(user_id=other.user.id).count() == 0


async def test_replayed_missing_and_forged_state_are_refused(
    http: TestClient[Any, Any], oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("ivy", {"email": "ivy@example.org", "email_verified": True})
    b = browser(http, oidc)
    callback = await b.callback("ivy")
    flow_cookie = b.cookies[FLOW_COOKIE]
    assert (await b.get(callback))[1] == NEXT
    # The same callback again, even with the flow's cookie put back: refused.
    b.cookies = {FLOW_COOKIE: flow_cookie}
    assert query_of((await b.get(callback))[1])["error"] == ["INVALID_STATE"]
    assert SESSION_COOKIE not in b.cookies

    c = browser(http, oidc)
    callback = await c.callback("ivy")
    path, _, query = callback.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    missing = f"{path}?code={params['code']}"
    assert query_of((await c.get(missing))[1])["error"] == ["INVALID_STATE"]

    d = browser(http, oidc)
    callback = await d.callback("ivy")
    forged = f"{path}?code={parse_qs(urlsplit(callback).query)['code'][0]}&state=forged"
    assert query_of((await d.get(forged))[1])["error"] == ["INVALID_STATE"]
    assert SESSION_COOKIE not in d.cookies


async def test_a_callback_from_another_browser_is_refused(
    http: TestClient[Any, Any], oidc: OidcProvider, users: UserFactory, configured: Any
) -> None:
    """The attacker's own code and state, opened in the victim's signed-in browser, must
    neither link the attacker's identity nor log the victim in as the attacker."""
    await oidc.set_user("mal", {"email": "mal@example.org", "email_verified": True})
    attacker = browser(http, oidc)
    callback = await attacker.callback("mal")
    victim = await users.create(email="victim@example.org")
    victims_browser = browser(http, oidc, **{SESSION_COOKIE: victim.token})
    location = (await victims_browser.get(callback))[1]
    assert query_of(location)["error"] == ["INVALID_STATE"]
    assert await SocialAccount.all().count() == 0


@pytest.mark.parametrize(
    "asked",
    ["https://evil.example/steal", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
async def test_a_foreign_next_is_replaced_by_our_root(
    http: TestClient[Any, Any], oidc: OidcProvider, configured: Any, asked: str
) -> None:
    await oidc.set_user("jo", {"email": "jo@example.org", "email_verified": True})
    b = browser(http, oidc)
    assert await b.log_in_as("jo", query=f"next={asked}") == "http://127.0.0.1:8000/"


async def test_an_app_exchanges_its_one_time_code_once(
    http: TestClient[Any, Any], graphql: GraphQLClient, oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("kim", {"email": "kim@example.org", "email_verified": True})
    b = browser(http, oidc)
    location = await b.log_in_as("kim", query=f"next={NEXT}&mode=code")
    assert SESSION_COOKIE not in b.cookies
    [code] = query_of(location)["code"]
    first = await graphql.data(EXCHANGE, {"input": {"code": code}})
    assert first["exchangeLoginCode"]["user"] == {"email": "kim@example.org"}
    token = first["exchangeLoginCode"]["token"]
    assert (await graphql.data(SOCIAL_ACCOUNTS, token=token))["me"]["email"] == "kim@example.org"
    second = await graphql.data(EXCHANGE, {"input": {"code": code}})
    assert second["exchangeLoginCode"]["token"] is None
    assert codes(second["exchangeLoginCode"]) == [("code", "INVALID_TOKEN")]


async def test_a_deactivated_account_cannot_log_in_by_provider(
    http: TestClient[Any, Any], oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("lu", {"email": "lu@example.org", "email_verified": True})
    await browser(http, oidc).log_in_as("lu")
    await User.filter(email="lu@example.org").update(is_active=False)
    b = browser(http, oidc)
    location = await b.log_in_as("lu")
    assert query_of(location)["error"] == ["INVALID_CREDENTIALS"]
    assert SESSION_COOKIE not in b.cookies


async def test_imports_stay_with_their_provider(
    http: TestClient[Any, Any], oidc: OidcProvider, configured: Any
) -> None:
    await oidc.set_user("mo", {"email": "mo@example.org", "email_verified": True, "name": "Mo"})
    await browser(http, oidc).log_in_as("mo")
    rows = await SocialImport.all().order_by("id")
    assert [(r.provider, r.field) for r in rows] == [("acme", "EMAIL"), ("acme", "NAME")]


async def test_the_data_export_holds_linked_accounts_and_imports_but_no_login_code(
    http: TestClient[Any, Any], oidc: OidcProvider, runtime: Runtime, configured: Any
) -> None:
    await oidc.set_user("nia", {"email": "nia@example.org", "email_verified": True, "name": "Nia"})
    await browser(http, oidc).log_in_as("nia", query=f"next={NEXT}&mode=code")
    user = await User.get(email="nia@example.org")
    archive = await collect(user, runtime.files)
    accounts = archive.models["SocialAccount"]["rows"]
    assert [(row["provider"], row["uid"]) for row in accounts] == [("acme", "nia")]
    imports = archive.models["SocialImport"]["rows"]
    assert [(row["provider"], row["field"]) for row in imports] == [
        ("acme", "EMAIL"),
        ("acme", "NAME"),
    ]
    # The app's login code is a credential: it exists, and leaves with nothing.
    assert await SocialLoginCode.filter(user_id=user.id).count() == 1
    codes = archive.models["SocialLoginCode"]
    assert "code_hash" not in codes["fields"]
    assert all("code_hash" not in row for row in codes["rows"])


async def test_an_unknown_provider_is_not_found(
    http: TestClient[Any, Any], configured: SocialProvider
) -> None:
    for path in ("/auth/login/nope", "/auth/complete/nope?code=x&state=y"):
        response = await http.get(path, allow_redirects=False)
        assert response.status == 404, path


async def test_one_network_may_start_only_so_many_logins(
    http: TestClient[Any, Any], oidc: OidcProvider, configured: Any
) -> None:
    b = browser(http, oidc)
    for _ in range(limits.MAX_SOCIAL_LOGINS_PER_IP):
        await b.start()
    status, location = await b.get(f"/auth/login/acme?next={NEXT}")
    assert status == 302
    assert query_of(location)["error"] == ["RATE_LIMITED"]
    # The whole seconds left in the window, which began moments ago with the first login.
    window = int(limits.THROTTLE_WINDOW.total_seconds())
    assert window - 60 < int(query_of(location)["retryAfter"][0]) <= window

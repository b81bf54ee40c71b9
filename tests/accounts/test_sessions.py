"""Sessions: the cookie and CSRF rule of the web client, revocation, password change and reset."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import FormData

from core.clock import moved_clock
from core.settings import Settings
from models.accounts import User
from models.outbox import OutboxEmail
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox, token_in
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P19")

NEW_PASSWORD = "purple elephants juggle quietly"
LOG_IN = document("LogIn")
ME = document("Me")
UPDATE_PROFILE = document("UpdateProfile")
LOG_OUT = document("LogOut")
LOG_OUT_EVERYWHERE = document("LogOutEverywhere")
CHANGE_PASSWORD = document("ChangePassword")
REQUEST_RESET = document("RequestPasswordReset")
RESET = document("ResetPassword")


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice", email="alice@example.com")


async def log_in(graphql: GraphQLClient, password: str = PASSWORD) -> dict[str, Any]:
    """An app's log-in: the session token in the answer."""
    data = await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": password, "session": "TOKEN"}}
    )
    payload: dict[str, Any] = data["logIn"]
    return payload


async def cookie_log_in(graphql: GraphQLClient) -> tuple[str, str]:
    """A browser's log-in: the session cookie and the CSRF token it answers with."""
    response = await graphql.http.post(
        "/graphql",
        json={
            "query": LOG_IN,
            "variables": {"input": {"email": "alice@example.com", "password": PASSWORD}},
        },
    )
    payload = (await response.json())["data"]["logIn"]
    return response.cookies["mentor_session"].value, payload["csrfToken"]


async def me(graphql: GraphQLClient, token: str) -> Any:
    return (await graphql.data(ME, token=token))["me"]


async def post_with_cookie(
    graphql: GraphQLClient, query: str, variables: dict[str, Any], cookie: str, **headers: str
) -> dict[str, Any]:
    """What a browser sends: the session cookie, and only the headers our page adds."""
    response = await graphql.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Cookie": f"mentor_session={cookie}", **headers},
    )
    body: dict[str, Any] = await response.json()
    return body


async def test_log_in_sets_an_http_only_same_site_session_cookie(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    response = await graphql.http.post(
        "/graphql",
        json={
            "query": LOG_IN,
            "variables": {"input": {"email": alice.user.email, "password": PASSWORD}},
        },
    )
    payload = (await response.json())["data"]["logIn"]
    session = response.cookies["mentor_session"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert session["path"] == "/"
    csrf = response.cookies["mentor_csrf"]
    assert csrf.value == payload["csrfToken"]
    assert csrf["samesite"] == "Strict"
    assert not csrf["httponly"]
    # The session is the cookie's alone: no page script can read it from the answer.
    assert payload["token"] is None
    assert session.value not in json.dumps(payload)
    assert (await me(graphql, session.value))["id"] == alice.global_id


async def test_an_app_asks_for_a_token_and_gets_no_cookie(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    response = await graphql.http.post(
        "/graphql",
        json={
            "query": LOG_IN,
            "variables": {
                "input": {"email": alice.user.email, "password": PASSWORD, "session": "TOKEN"}
            },
        },
    )
    payload = (await response.json())["data"]["logIn"]
    assert "Set-Cookie" not in response.headers
    assert payload["csrfToken"] is None and payload["errors"] == []
    assert (await me(graphql, payload["token"]))["id"] == alice.global_id


async def test_an_unknown_session_kind_is_refused(graphql: GraphQLClient, alice: SignedIn) -> None:
    variables = {"input": {"email": alice.user.email, "password": PASSWORD, "session": "BOTH"}}
    body = await graphql(LOG_IN, variables)
    assert body.get("data") is None
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_cookie_mutation_needs_the_csrf_header(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    cookie, csrf = await cookie_log_in(graphql)

    forgeries = ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": "forg\u00e9d"})
    for headers in (*forgeries, {"X-CSRF-Token": alice.token}):
        refused = await post_with_cookie(
            graphql, UPDATE_PROFILE, {"input": {"name": "Mallory"}}, cookie, **headers
        )
        assert refused["data"] is None
        assert error_codes(refused) == ["FORBIDDEN"]
    assert (await User.get(id=alice.user.id)).name == "Alice"

    accepted = await post_with_cookie(
        graphql, UPDATE_PROFILE, {"input": {"name": "Alice L."}}, cookie, **{"X-CSRF-Token": csrf}
    )
    assert "errors" not in accepted
    payload = accepted["data"]["updateProfile"]
    assert (payload["user"]["name"], payload["errors"]) == ("Alice L.", [])


async def test_an_anonymous_multipart_mutation_is_refused(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    """Any page can post a multipart form cross-site; logging its visitor in is refused."""
    form = FormData(default_to_multipart=True)
    variables = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    form.add_field("operations", json.dumps({"query": LOG_IN, "variables": variables}))
    form.add_field("map", "{}")
    response = await graphql.http.post("/graphql", data=form)
    body = await response.json()
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    assert "mentor_session" not in response.cookies


async def test_cookie_queries_and_bearer_mutations_need_no_csrf_header(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    cookie, _ = await cookie_log_in(graphql)
    by_cookie = await post_with_cookie(graphql, ME, {}, cookie)
    session = await log_in(graphql)
    assert "errors" not in by_cookie
    me = by_cookie["data"]["me"]
    assert (me["id"], me["name"]) == (alice.global_id, "Alice")
    renamed = await graphql.data(
        UPDATE_PROFILE, {"input": {"name": "Alice L."}}, token=session["token"]
    )
    assert renamed["updateProfile"]["errors"] == []


async def test_log_out_revokes_only_this_session(graphql: GraphQLClient, alice: SignedIn) -> None:
    other = await log_in(graphql)
    assert await graphql.data(LOG_OUT, token=alice.token) == {
        "logOut": {"revokedSessions": 1, "errors": []}
    }
    assert await me(graphql, alice.token) is None
    assert (await me(graphql, other["token"]))["id"] == alice.global_id
    body = await graphql(LOG_OUT, token=alice.token)
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_session_past_its_lifetime_signs_nobody_in(
    graphql: GraphQLClient, alice: SignedIn, settings: Settings
) -> None:
    with moved_clock(settings.session_lifetime - timedelta(minutes=1)):
        assert (await me(graphql, alice.token))["id"] == alice.global_id
    with moved_clock(settings.session_lifetime + timedelta(minutes=1)):
        assert await me(graphql, alice.token) is None


async def test_log_out_everywhere_revokes_every_session(
    graphql: GraphQLClient, alice: SignedIn, users: UserFactory
) -> None:
    other = await log_in(graphql)
    bob = await users.create("Bob")
    assert await graphql.data(LOG_OUT_EVERYWHERE, token=other["token"]) == {
        "logOutEverywhere": {"revokedSessions": 2, "errors": []}
    }
    assert await me(graphql, alice.token) is None
    assert await me(graphql, other["token"]) is None
    assert (await me(graphql, bob.token))["id"] == bob.global_id


async def test_change_password_keeps_this_session_and_ends_the_others(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    current = await log_in(graphql)
    changed = await graphql.data(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        token=current["token"],
    )
    assert changed == {"changePassword": {"user": {"id": alice.global_id}, "errors": []}}
    assert (await me(graphql, current["token"]))["id"] == alice.global_id
    assert await me(graphql, alice.token) is None
    assert (await log_in(graphql, PASSWORD))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await log_in(graphql, NEW_PASSWORD))["errors"] == []


async def test_change_password_refuses_a_wrong_current_password_or_a_weak_new_one(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    wrong = await graphql.data(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": "not my password", "newPassword": NEW_PASSWORD}},
        token=alice.token,
    )
    assert wrong["changePassword"] == {
        "user": None,
        "errors": [
            {
                "field": "currentPassword",
                "code": "INVALID_CREDENTIALS",
                "message": "The current password is incorrect.",
            }
        ],
    }
    weak = await graphql.data(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": "alice12345"}},
        token=alice.token,
    )
    errors = weak["changePassword"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("newPassword", "WEAK_PASSWORD")]
    assert (await me(graphql, alice.token))["id"] == alice.global_id
    assert (await log_in(graphql, PASSWORD))["errors"] == []


async def test_password_reset_answers_alike_for_known_and_unknown_addresses(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox
) -> None:
    unknown = await graphql(REQUEST_RESET, {"input": {"email": "nobody@example.com"}})
    known = await graphql(REQUEST_RESET, {"input": {"email": "alice@example.com"}})
    assert unknown == known == {"data": {"requestPasswordReset": {"errors": []}}}
    mail = await mailbox.wait_for("alice@example.com", "Reset your password")
    assert token_in(mail)
    assert [row.to_address for row in await OutboxEmail.all()] == ["alice@example.com"]


async def test_reset_password_sets_the_password_and_ends_every_session_once(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox
) -> None:
    other = await log_in(graphql)
    await graphql.data(REQUEST_RESET, {"input": {"email": "alice@example.com"}})
    token = token_in(await mailbox.wait_for("alice@example.com", "Reset your password"))

    weak = await graphql.data(RESET, {"input": {"token": token, "newPassword": "alice"}})
    assert [e["code"] for e in weak["resetPassword"]["errors"]] == ["WEAK_PASSWORD"]
    reset = await graphql.data(RESET, {"input": {"token": token, "newPassword": NEW_PASSWORD}})
    assert reset == {"resetPassword": {"user": {"id": alice.global_id}, "errors": []}}

    assert await me(graphql, alice.token) is None
    assert await me(graphql, other["token"]) is None
    assert (await log_in(graphql, NEW_PASSWORD))["errors"] == []
    again = await graphql.data(RESET, {"input": {"token": token, "newPassword": PASSWORD}})
    assert again["resetPassword"]["errors"] == [
        {
            "field": "token",
            "code": "INVALID_TOKEN",
            "message": "This link is invalid or has expired.",
        }
    ]


async def test_an_expired_reset_token_is_refused(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox, settings: Settings
) -> None:
    await graphql.data(REQUEST_RESET, {"input": {"email": "alice@example.com"}})
    token = token_in(await mailbox.wait_for("alice@example.com", "Reset your password"))
    with moved_clock(settings.email_token_lifetime + timedelta(seconds=1)):
        expired = await graphql.data(
            RESET, {"input": {"token": token, "newPassword": NEW_PASSWORD}}
        )
    assert [e["code"] for e in expired["resetPassword"]["errors"]] == ["INVALID_TOKEN"]
    assert (await me(graphql, alice.token))["id"] == alice.global_id
    assert (await log_in(graphql, PASSWORD))["errors"] == []


async def _mailed_reset_token(graphql: GraphQLClient, mailbox: Mailbox) -> str:
    mailbox.clear()
    await graphql.data(REQUEST_RESET, {"input": {"email": "alice@example.com"}})
    return token_in(await mailbox.wait_for("alice@example.com", "Reset your password"))


INVALID_TOKEN = [
    {"field": "token", "code": "INVALID_TOKEN", "message": "This link is invalid or has expired."}
]


async def test_a_reset_voids_every_reset_link_mailed_before(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox
) -> None:
    older = await _mailed_reset_token(graphql, mailbox)
    newer = await _mailed_reset_token(graphql, mailbox)
    reset = await graphql.data(RESET, {"input": {"token": newer, "newPassword": NEW_PASSWORD}})
    assert reset["resetPassword"]["errors"] == []

    late = await graphql.data(RESET, {"input": {"token": older, "newPassword": PASSWORD}})
    assert late["resetPassword"]["errors"] == INVALID_TOKEN
    assert (await log_in(graphql, NEW_PASSWORD))["errors"] == []


async def test_a_password_change_voids_pending_reset_links(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox
) -> None:
    pending = await _mailed_reset_token(graphql, mailbox)
    changed = await graphql.data(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        token=alice.token,
    )
    assert changed["changePassword"]["errors"] == []

    used = await graphql.data(RESET, {"input": {"token": pending, "newPassword": PASSWORD}})
    assert used["resetPassword"]["errors"] == INVALID_TOKEN


async def test_guessing_the_current_password_meets_the_login_limit(
    graphql: GraphQLClient, alice: SignedIn, settings: Any
) -> None:
    codes = []
    for attempt in range(settings.login_failures_per_account + 1):
        body = await graphql(
            CHANGE_PASSWORD,
            {"input": {"currentPassword": f"guess {attempt}!!", "newPassword": NEW_PASSWORD}},
            token=alice.token,
        )
        codes.append(
            error_codes(body) or [e["code"] for e in body["data"]["changePassword"]["errors"]]
        )
    assert codes[:-1] == [["INVALID_CREDENTIALS"]] * settings.login_failures_per_account
    assert codes[-1] == ["RATE_LIMITED"]
    # The right password is refused too until the window passes.
    right = await graphql(
        CHANGE_PASSWORD,
        {"input": {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}},
        token=alice.token,
    )
    assert error_codes(right) == ["RATE_LIMITED"]

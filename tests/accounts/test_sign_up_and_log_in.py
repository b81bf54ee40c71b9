"""Sign-up, log-in and the viewer's own data, as a client sees them."""

from __future__ import annotations

import asyncio

import pytest

from core.errors import BadUserInput, RateLimited
from core.runtime import Runtime
from models.accounts import User
from models.audit import AuditAction, AuditEntry
from models.outbox import OutboxEmail
from services import accounts
from services.client import ClientInfo
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox, token_in
from tests.support.users import PASSWORD

SIGN_UP = document("SignUp")
LOG_IN = document("LogIn")
ME = document("Me")
VERIFY_EMAIL = document("VerifyEmail")
# The web client has no use for signUp's user, always null; someone probing who is registered
# would ask for it.
SIGN_UP_PROBING_FOR_THE_ACCOUNT = """
mutation SignUpProbingForTheAccount($input: SignUpInput!) {
  signUp(input: $input) { user { id } errors { field code message } }
}
"""


async def sign_up(graphql: GraphQLClient, email: str, password: str = PASSWORD) -> dict:
    return await graphql.data(
        SIGN_UP, {"input": {"email": email, "password": password, "name": "Alice Liddell"}}
    )


@pytest.mark.promise("P2", "P19")
async def test_alice_signs_up_logs_in_and_sees_her_email(graphql: GraphQLClient) -> None:
    assert await sign_up(graphql, "alice@example.com") == {"signUp": {"errors": []}}

    logged_in = await graphql.data(
        LOG_IN, {"input": {"email": "Alice@Example.com", "password": PASSWORD, "session": "TOKEN"}}
    )
    token = logged_in["logIn"]["token"]
    assert token and logged_in["logIn"]["errors"] == []
    me = await graphql.data(ME, token=token)
    assert me["me"]["email"] == "alice@example.com"
    assert me["me"]["name"] == "Alice Liddell"
    assert me["me"]["emailVerified"] is False


async def test_anonymous_me_is_null(graphql: GraphQLClient) -> None:
    assert await graphql.data(ME) == {"me": None}


async def test_sign_up_with_a_taken_email_looks_like_a_new_one(
    graphql: GraphQLClient, mailbox: Mailbox
) -> None:
    first = await sign_up(graphql, "alice@example.com")
    again = await sign_up(graphql, "alice@example.com")
    assert again == first == {"signUp": {"errors": []}}
    # Asking for the account tells nothing either, for a new address as for a taken one.
    for email in ("bob@example.com", "alice@example.com"):
        probe = {"input": {"email": email, "password": PASSWORD, "name": "Probe"}}
        probed = await graphql.data(SIGN_UP_PROBING_FOR_THE_ACCOUNT, probe)
        assert probed == {"signUp": {"user": None, "errors": []}}
    # The owner of the address hears about it; nobody else learns anything.
    await mailbox.wait_for("alice@example.com", "Someone tried to sign up")


@pytest.mark.promise("P19")
async def test_weak_password_is_refused_with_a_reason(graphql: GraphQLClient) -> None:
    for weak in ("short", "password123", "alice@example.com1"):
        payload = await sign_up(graphql, "alice@example.com", password=weak)
        errors = payload["signUp"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("password", "WEAK_PASSWORD")]
    assert await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": "password123"}}
    ) == {
        "logIn": {
            "token": None,
            "csrfToken": None,
            "user": None,
            "errors": [
                {
                    "field": None,
                    "code": "INVALID_CREDENTIALS",
                    "message": "Email or password is incorrect.",
                }
            ],
        }
    }


async def test_verification_mail_confirms_the_address_once(
    graphql: GraphQLClient, mailbox: Mailbox
) -> None:
    await sign_up(graphql, "alice@example.com")
    mail = await mailbox.wait_for("alice@example.com", "Verify your email")
    token = token_in(mail)

    verified = await graphql.data(VERIFY_EMAIL, {"input": {"token": token}})
    assert verified["verifyEmail"]["errors"] == []
    spent = await graphql.data(VERIFY_EMAIL, {"input": {"token": token}})
    assert spent == {
        "verifyEmail": {
            "user": None,
            "errors": [
                {
                    "field": "token",
                    "code": "INVALID_TOKEN",
                    "message": "This link is invalid or has expired.",
                }
            ],
        }
    }
    logged_in = await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": PASSWORD, "session": "TOKEN"}}
    )
    me = await graphql.data(ME, token=logged_in["logIn"]["token"])
    assert me["me"]["emailVerified"] is True


@pytest.mark.promise("P19")
async def test_ten_wrong_passwords_in_a_row_are_rate_limited(graphql: GraphQLClient, users) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    codes = []
    for _ in range(10):
        body = await graphql(
            LOG_IN, {"input": {"email": "alice@example.com", "password": "wrong password!!"}}
        )
        codes.append(error_codes(body) or [e["code"] for e in body["data"]["logIn"]["errors"]])
    assert codes[0] == ["INVALID_CREDENTIALS"]
    assert codes[-1] == ["RATE_LIMITED"]
    # Even the right password is refused while the account is throttled.
    body = await graphql(LOG_IN, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    assert error_codes(body) == ["RATE_LIMITED"]
    assert body["errors"][0]["extensions"]["retryAfter"] > 0
    failures = await AuditEntry.filter(action=AuditAction.LOGIN_FAILED, subject_id=alice.user.id)
    assert len(failures) >= 5


@pytest.mark.promise("P19")
async def test_failed_logins_from_one_address_are_rate_limited_across_accounts(
    graphql: GraphQLClient, users, settings
) -> None:
    await users.create("Alice", email="alice@example.com")
    budget = settings.login_failures_per_ip
    accounts_tried = [f"guess{i}@example.com" for i in range(budget)]
    for email in accounts_tried:
        body = await graphql(LOG_IN, {"input": {"email": email, "password": "wrong password!!"}})
        assert body["data"]["logIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    body = await graphql(LOG_IN, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    assert error_codes(body) == ["RATE_LIMITED"]


@pytest.mark.promise("P19")
async def test_wrong_passwords_sent_all_at_once_meet_the_same_limit(
    graphql: GraphQLClient, users, settings
) -> None:
    await users.create("Alice", email="alice@example.com")
    bodies = await asyncio.gather(
        *(
            graphql(LOG_IN, {"input": {"email": "alice@example.com", "password": f"guess {i}!!"}})
            for i in range(30)
        )
    )
    checked = [b for b in bodies if "errors" not in b]
    assert len(checked) == settings.login_failures_per_account
    assert all(b["data"]["logIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS" for b in checked)
    assert sum(error_codes(b) == ["RATE_LIMITED"] for b in bodies) == 30 - len(checked)


@pytest.mark.promise("P19")
async def test_an_account_without_a_password_cannot_be_opened_with_one(
    graphql: GraphQLClient,
) -> None:
    # As third-party login makes them: no password of its own.
    await User.create(email="sol@example.com", name="Sol", password_hash=None)
    for password in ("decoy password that nobody uses", PASSWORD):
        body = await graphql.data(
            LOG_IN, {"input": {"email": "sol@example.com", "password": password}}
        )
        assert body["logIn"]["token"] is None
        assert [e["code"] for e in body["logIn"]["errors"]] == ["INVALID_CREDENTIALS"]


async def test_a_successful_log_in_forgives_earlier_failures_of_the_account(
    graphql: GraphQLClient, users, settings
) -> None:
    await users.create("Alice", email="alice@example.com")
    wrong = {"input": {"email": "alice@example.com", "password": "wrong password!!"}}
    right = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    for _ in range(2):
        for _ in range(settings.login_failures_per_account - 1):
            await graphql(LOG_IN, wrong)
        assert (await graphql.data(LOG_IN, right))["logIn"]["errors"] == []


async def test_sign_ups_from_one_address_are_rate_limited(graphql: GraphQLClient, settings) -> None:
    for i in range(settings.signups_per_ip):
        await sign_up(graphql, f"user{i}@example.com")
    body = await graphql(
        SIGN_UP, {"input": {"email": "late@example.com", "password": PASSWORD, "name": "Late"}}
    )
    assert error_codes(body) == ["RATE_LIMITED"]


async def test_sign_ups_naming_one_address_are_rate_limited_whether_or_not_it_is_taken(
    graphql: GraphQLClient, users, settings
) -> None:
    await users.create("Alice", email="alice@example.com")
    for email in ("alice@example.com", "nobody@example.com"):
        for _ in range(settings.mails_per_address):
            assert (await sign_up(graphql, email))["signUp"]["errors"] == []
        body = await graphql(
            SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Again"}}
        )
        assert error_codes(body) == ["RATE_LIMITED"]
    notices = await OutboxEmail.filter(to_address="alice@example.com").count()
    assert notices == settings.mails_per_address


async def test_an_invalid_email_is_a_payload_error(graphql: GraphQLClient) -> None:
    payload = await sign_up(graphql, "not-an-address")
    assert payload["signUp"]["errors"] == [
        {"field": "email", "code": "BAD_USER_INPUT", "message": "Enter a valid email address."}
    ]


async def test_a_caller_blocked_by_address_does_not_use_up_an_accounts_budget(
    runtime: Runtime, users, settings
) -> None:
    await users.create("Alice", email="alice@example.com")
    blocked, elsewhere = ClientInfo(ip="203.0.113.7"), ClientInfo(ip="198.51.100.9")

    async def outcome(email: str, client: ClientInfo) -> str:
        try:
            await accounts.log_in(runtime, email=email, password="wrong password!!", client=client)
        except RateLimited:
            return "RATE_LIMITED"
        except BadUserInput as error:
            return error.code.value
        return "LOGGED_IN"

    for i in range(settings.login_failures_per_ip):
        assert await outcome(f"guess{i}@example.com", blocked) == "INVALID_CREDENTIALS"
    for _ in range(settings.login_failures_per_account + 3):
        assert await outcome("alice@example.com", blocked) == "RATE_LIMITED"

    budget = settings.login_failures_per_account
    tries = [await outcome("alice@example.com", elsewhere) for _ in range(budget + 1)]
    assert tries == ["INVALID_CREDENTIALS"] * budget + ["RATE_LIMITED"]

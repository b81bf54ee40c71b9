"""Account security: login history, sessions, the new-device notice and credential stuffing
(P15: security issues are prevented and investigated; P19: access is secure)."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from strawberry.relay import to_base64

from core import clock
from core.runtime import Runtime
from core.settings import ConfigurationError, Settings
from models.accounts import Session, StaffPermission
from models.audit import AuditAction, AuditEntry
from models.notifications import Notification, NotificationKind
from models.outbox import OutboxEmail
from models.security import SecurityEvent
from services.client import ClientInfo
from services.security import stuffing
from services.throttle import RedisThrottle
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, SignedIn, UserFactory

LOG_IN = document("LogIn")
SIGN_UP = document("SignUp")
ME = document("Me")
LOGIN_HISTORY = document("LoginHistory")
SESSIONS = document("Sessions")
REVOKE = document("RevokeSession")
SECURITY_EVENTS = document("SecurityEvents")

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
HOME, OFFICE = "203.0.113.7", "198.51.100.23"
WRONG = "wrong password!!"
NEW_SIGN_IN = "New sign-in to your account"


@pytest.fixture(autouse=True)
def behind_our_proxy(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test client is our proxy, so each request names its caller's address."""
    proxies = (ipaddress.ip_network("127.0.0.1/32"),)
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(trusted_proxies=proxies)
    )


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice", email="alice@example.com")


async def log_in(
    graphql: GraphQLClient,
    email: str,
    password: str = PASSWORD,
    *,
    address: str = HOME,
    agent: str = FIREFOX,
) -> dict[str, Any]:
    body = await graphql(
        LOG_IN,
        {"input": {"email": email, "password": password, "session": "TOKEN"}},
        headers={"X-Forwarded-For": address, "User-Agent": agent},
    )
    return body


async def logged_in(graphql: GraphQLClient, email: str, **device: str) -> str:
    payload = (await log_in(graphql, email, **device))["data"]["logIn"]
    assert payload["errors"] == [], payload
    token: str = payload["token"]
    return token


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


# Login history.


@pytest.mark.promise("P15")
@pytest.mark.promise("P19")
async def test_the_history_shows_successes_and_failures_by_network_and_browser_only(
    graphql: GraphQLClient, alice: SignedIn, users: UserFactory
) -> None:
    await log_in(graphql, alice.user.email, WRONG, address=HOME, agent=FIREFOX)
    token = await logged_in(graphql, alice.user.email, address=OFFICE, agent=CHROME)
    # Neither someone else's log-in nor a failure on an address without an account is hers.
    bob = await users.create("Bob", email="bob@example.com")
    await logged_in(graphql, bob.user.email, address=HOME)
    await log_in(graphql, "nobody@example.com", WRONG, address=HOME)

    history = (await graphql.data(LOGIN_HISTORY, token=token))["me"]["loginHistory"]
    events = nodes(history)
    assert [{k: v for k, v in event.items() if k != "occurredAt"} for event in events] == [
        {
            "method": "PASSWORD",
            "succeeded": True,
            "ipPrefix": "198.51.100.0/24",
            "browserFamily": "Chrome",
        },
        {
            "method": "PASSWORD",
            "succeeded": False,
            "ipPrefix": "203.0.113.0/24",
            "browserFamily": "Firefox",
        },
    ]
    assert history["totalCount"] == 2
    assert events[0]["occurredAt"] >= events[1]["occurredAt"]
    shown = json.dumps(history)
    for raw in (HOME, OFFICE, "Mozilla", "Gecko"):
        assert raw not in shown
    # Nor is anything raw kept behind it.
    kept = json.dumps(
        await AuditEntry.all().values("detail", "ip_prefix", "browser_family"), default=str
    )
    for raw in (HOME, OFFICE, "Mozilla", "Gecko"):
        assert raw not in kept


async def test_the_history_pages_with_cursors(graphql: GraphQLClient, alice: SignedIn) -> None:
    for _ in range(3):
        await log_in(graphql, alice.user.email, WRONG)
    first = (await graphql.data(LOGIN_HISTORY, {"first": 2}, token=alice.token))["me"]
    page = first["loginHistory"]
    assert (len(page["edges"]), page["pageInfo"]["hasNextPage"]) == (2, True)
    after = {"first": 2, "after": page["pageInfo"]["endCursor"]}
    rest = (await graphql.data(LOGIN_HISTORY, after, token=alice.token))["me"]["loginHistory"]
    assert (len(rest["edges"]), rest["pageInfo"]["hasNextPage"]) == (1, False)


# Sessions.


@pytest.mark.promise("P19")
async def test_sessions_lists_the_live_ones_and_marks_this_one(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    office = await logged_in(graphql, alice.user.email, address=OFFICE, agent=CHROME)
    now = clock.now()
    expired = await Session.create(
        user=alice.user, token_hash="e" * 64, expires_at=now - timedelta(seconds=1)
    )
    revoked = await Session.create(
        user=alice.user, token_hash="r" * 64, expires_at=now + timedelta(days=1), revoked_at=now
    )

    listed = (await graphql.data(SESSIONS, token=office))["me"]["sessions"]
    shown = nodes(listed)
    assert [(s["ipPrefix"], s["browserFamily"], s["current"]) for s in shown] == [
        ("198.51.100.0/24", "Chrome", True),
        ("127.0.0.0/24", "Other", False),  # the factory's session: no User-Agent
    ]
    assert listed["totalCount"] == 2
    ids = {s["id"] for s in shown}
    assert not ids & {to_base64("Session", expired.id), to_base64("Session", revoked.id)}
    assert "Mozilla" not in json.dumps(listed)


@pytest.mark.promise("P19")
async def test_a_revoked_session_no_longer_opens_the_account(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    office = await logged_in(graphql, alice.user.email, address=OFFICE, agent=CHROME)
    sessions = nodes((await graphql.data(SESSIONS, token=alice.token))["me"]["sessions"])
    (other,) = [s for s in sessions if not s["current"]]

    payload = (await graphql.data(REVOKE, {"input": {"id": other["id"]}}, token=alice.token))[
        "revokeSession"
    ]

    assert payload == {"session": {"id": other["id"]}, "loggedOut": False, "errors": []}
    assert (await graphql.data(ME, token=office))["me"] is None
    assert (await graphql.data(ME, token=alice.token))["me"]["email"] == alice.user.email
    remaining = nodes((await graphql.data(SESSIONS, token=alice.token))["me"]["sessions"])
    assert [s["current"] for s in remaining] == [True]
    (audited,) = await AuditEntry.filter(action=AuditAction.SESSION_REVOKED)
    assert (audited.actor_id, audited.subject_id) == (alice.user.id, alice.user.id)


async def test_revoking_this_session_logs_out(graphql: GraphQLClient, alice: SignedIn) -> None:
    (mine,) = nodes((await graphql.data(SESSIONS, token=alice.token))["me"]["sessions"])
    response = await graphql.http.post(
        "/graphql",
        json={"query": REVOKE, "variables": {"input": {"id": mine["id"]}}},
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    payload = (await response.json())["data"]["revokeSession"]
    assert payload == {"session": None, "loggedOut": True, "errors": []}
    assert response.cookies["mentor_session"].value == ""
    assert (await graphql.data(ME, token=alice.token))["me"] is None


@pytest.mark.promise("P19")
async def test_another_users_session_is_refused_like_one_that_does_not_exist(
    graphql: GraphQLClient, alice: SignedIn, users: UserFactory
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    (bobs,) = nodes((await graphql.data(SESSIONS, token=bob.token))["me"]["sessions"])
    spent = await Session.create(
        user=alice.user, token_hash="s" * 64, expires_at=clock.now(), revoked_at=clock.now()
    )
    refused = {"field": "id", "code": "NOT_FOUND", "message": "No such session."}
    for session_id in (
        bobs["id"],
        to_base64("Session", 999_999),
        to_base64("Session", spent.id),
        to_base64("User", bob.user.id),
    ):
        payload = (await graphql.data(REVOKE, {"input": {"id": session_id}}, token=alice.token))[
            "revokeSession"
        ]
        assert payload == {"session": None, "loggedOut": False, "errors": [refused]}
    assert (await graphql.data(ME, token=bob.token))["me"]["email"] == bob.user.email
    assert not await AuditEntry.exists(action=AuditAction.SESSION_REVOKED)
    anonymous = await graphql(REVOKE, {"input": {"id": bobs["id"]}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


# The new-device notice.


async def _notices(user_id: int) -> list[Notification]:
    return await Notification.filter(recipient_id=user_id, kind=NotificationKind.NEW_DEVICE_LOGIN)


@pytest.mark.promise("P15")
async def test_a_log_in_from_a_new_device_is_announced_once_in_the_app_and_by_mail(
    graphql: GraphQLClient, alice: SignedIn, mailbox: Mailbox
) -> None:
    # The first log-in has nothing to compare with; the same device again is known.
    for _ in range(2):
        await logged_in(graphql, alice.user.email, address=HOME, agent=FIREFOX)
    assert await _notices(alice.user.id) == []

    await logged_in(graphql, alice.user.email, address=HOME, agent=CHROME)

    (notice,) = await _notices(alice.user.id)
    assert notice.title == NEW_SIGN_IN
    assert "Chrome" in notice.body
    mail = await mailbox.wait_for(alice.user.email, NEW_SIGN_IN)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Chrome" in text and "logOutEverywhere" in text and "changePassword" in text
    assert "This is a security notice: it always comes by email." in text
    for detail in ("203.0.113", HOME, "Mozilla", "Firefox"):
        assert detail not in text  # the browser family only: no network, no User-Agent

    # Chrome at home is known now; Firefox from the office is a new pair again.
    await logged_in(graphql, alice.user.email, address=HOME, agent=CHROME)
    assert len(await _notices(alice.user.id)) == 1
    await logged_in(graphql, alice.user.email, address=OFFICE, agent=FIREFOX)
    assert len(await _notices(alice.user.id)) == 2
    mails = await OutboxEmail.filter(recipient_id=alice.user.id, subject=NEW_SIGN_IN).count()
    assert mails == 2


async def test_a_failed_attempt_from_a_new_device_sends_no_notice(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    await logged_in(graphql, alice.user.email, address=HOME, agent=FIREFOX)
    await log_in(graphql, alice.user.email, WRONG, address=OFFICE, agent=CHROME)
    assert await _notices(alice.user.id) == []


async def test_the_first_log_in_after_sign_up_is_no_alarm(graphql: GraphQLClient) -> None:
    email = "carol@example.com"
    signed_up = await graphql.data(
        SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Carol"}}
    )
    assert signed_up["signUp"]["errors"] == []
    await logged_in(graphql, email, address=OFFICE, agent=CHROME)
    assert await Notification.filter(kind=NotificationKind.NEW_DEVICE_LOGIN).count() == 0


async def test_log_ins_recorded_before_browsers_were_are_no_baseline(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    """After the upgrade, nobody's next log-in is an alarm for want of a recorded browser."""
    await AuditEntry.create(
        action=AuditAction.LOGIN, actor=alice.user, subject=alice.user, ip_prefix="10.0.0.0/24"
    )
    await logged_in(graphql, alice.user.email, address=HOME, agent=FIREFOX)
    assert await _notices(alice.user.id) == []


# Credential stuffing.


async def _fail_on(graphql: GraphQLClient, emails: list[str], address: str = HOME) -> None:
    for email in emails:
        body = await log_in(graphql, email, WRONG, address=address)
        codes = error_codes(body) or [e["code"] for e in body["data"]["logIn"]["errors"]]
        assert codes in (["INVALID_CREDENTIALS"], ["RATE_LIMITED"]), body


@pytest.mark.promise("P15")
async def test_failures_across_accounts_from_one_network_raise_one_security_event(
    graphql: GraphQLClient, alice: SignedIn, users: UserFactory, runtime: Runtime
) -> None:
    threshold = runtime.settings.stuffing_accounts
    tried = [alice.user.email] + [f"guess{i}@example.com" for i in range(threshold + 2)]
    await _fail_on(graphql, tried)
    await _fail_on(graphql, ["stranger@example.com"], address=OFFICE)

    (event,) = await SecurityEvent.all()
    assert (event.kind, event.ip_prefix, event.account_count) == (
        "CREDENTIAL_STUFFING",
        "203.0.113.0/24",
        threshold,
    )
    assert event.window_start <= event.window_end == event.detected_at
    (audited,) = await AuditEntry.filter(action=AuditAction.SECURITY_EVENT)
    assert audited.detail == {
        "securityEvent": event.id,
        "kind": "CREDENTIAL_STUFFING",
        "accounts": threshold,
    }
    assert (audited.ip_prefix, audited.subject_id, audited.actor_id) == (
        "203.0.113.0/24",
        None,
        None,
    )

    security = await users.create("Sid Security", staff=[StaffPermission.SECURITY])
    listed = (await graphql.data(SECURITY_EVENTS, token=security.token))["securityEvents"]
    (shown,) = nodes(listed)
    assert {k: shown[k] for k in ("id", "kind", "ipPrefix", "accountCount")} == {
        "id": to_base64("SecurityEvent", event.id),
        "kind": "CREDENTIAL_STUFFING",
        "ipPrefix": "203.0.113.0/24",
        "accountCount": threshold,
    }
    # No address that was tried is kept with it.
    assert "guess" not in json.dumps(listed) + json.dumps(audited.detail)


async def test_security_events_are_for_security_staff_only(
    graphql: GraphQLClient, alice: SignedIn, users: UserFactory
) -> None:
    assert error_codes(await graphql(SECURITY_EVENTS)) == ["UNAUTHENTICATED"]
    pii = await users.create("Pia", staff=[StaffPermission.VIEW_PII])
    for who in (alice, pii):
        assert error_codes(await graphql(SECURITY_EVENTS, token=who.token)) == ["FORBIDDEN"]


@pytest.mark.promise("P15")
async def test_repeated_failures_on_one_account_are_not_stuffing(
    graphql: GraphQLClient, alice: SignedIn, runtime: Runtime
) -> None:
    settings = runtime.settings
    # Alice's own throttle stops these; they count as one account however many there are.
    await _fail_on(graphql, [alice.user.email] * (settings.login_failures_per_account + 3))
    others = [f"guess{i}@example.com" for i in range(settings.stuffing_accounts - 2)]
    await _fail_on(graphql, others)
    assert await SecurityEvent.all().count() == 0
    await _fail_on(graphql, ["one-more@example.com"])
    assert await SecurityEvent.all().count() == 1


@pytest.fixture
async def two_processes(runtime: Runtime) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """The runtimes of two server processes sharing the machine's Redis (in both runs of the
    suite, as several processes always do), under a key prefix of this test's own."""
    prefix = f"mentor-test-stuffing-{uuid.uuid4().hex[:12]}:"
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    clients = [Redis.from_url(url) for _ in range(2)]
    yield (
        dataclasses.replace(runtime, throttle=RedisThrottle(clients[0], prefix)),
        dataclasses.replace(runtime, throttle=RedisThrottle(clients[1], prefix)),
    )
    keys = [key async for key in clients[0].scan_iter(match=f"{prefix}*")]
    if keys:
        await clients[0].delete(*keys)
    for client in clients:
        await client.aclose()


@pytest.mark.promise("P15")
async def test_processes_sharing_redis_add_to_one_count_and_raise_once(
    two_processes: tuple[Runtime, Runtime],
) -> None:
    first, second = two_processes
    caller = ClientInfo(ip=HOME)
    threshold = first.settings.stuffing_accounts
    raised = []
    for i in range(threshold + 4):
        process = (first, second)[i % 2]
        email = f"guess{i}@example.com"
        raised.append(await stuffing.note_failed_log_in(process, email=email, client=caller))
    assert [i for i, event in enumerate(raised) if event is not None] == [threshold - 1]
    assert raised[threshold - 1].account_count == threshold  # type: ignore[union-attr]
    assert await SecurityEvent.all().count() == 1


def test_the_stuffing_threshold_and_window_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    defaults = Settings.from_env()
    assert (defaults.stuffing_accounts, defaults.stuffing_window) == (10, timedelta(minutes=10))
    monkeypatch.setenv("CREDENTIAL_STUFFING_ACCOUNTS", "25")
    monkeypatch.setenv("CREDENTIAL_STUFFING_WINDOW_MINUTES", "30")
    configured = Settings.from_env()
    assert (configured.stuffing_accounts, configured.stuffing_window) == (25, timedelta(minutes=30))
    # One account's failures are its own throttle's business.
    monkeypatch.setenv("CREDENTIAL_STUFFING_ACCOUNTS", "1")
    with pytest.raises(ConfigurationError, match="CREDENTIAL_STUFFING_ACCOUNTS"):
        Settings.from_env()

"""Security incidents and breach notification (P15: "we prevent security issues and
investigate breaches"): SECURITY staff record an incident, see and meet its 72-hour deadline
to the authority, and tell each person it concerned exactly once, even when telling them is
repeated or stops half way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from strawberry.relay import to_base64

from app.tasks import BackgroundWork
from core import clock
from core.runtime import Runtime
from models.accounts import Session, StaffPermission, User
from models.audit import AuditAction, AuditEntry
from models.incidents import AffectedUser, SecurityIncident
from models.notifications import Notification, NotificationKind
from models.outbox import OutboxEmail
from services import incidents
from services.access.policy import Category
from services.notifications import emit
from services.notifications.kinds import CATEGORY_ADVICE, CATEGORY_WORDS, Facts, words
from tests.deletion.helpers import asked, confirm, erase_after
from tests.marketing.helpers import delivered
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P15")

RECORD = document("RecordSecurityIncident")
NOTIFY = document("NotifyAffectedUsers")
MARK = document("MarkAuthorityNotified")
INCIDENTS = document("SecurityIncidents")
NOTICES = document("SecurityNotices")
NOTIFICATIONS = document("Notifications")
SUBJECT = "A security incident concerns your data"
SUMMARY = "A database backup was left readable on a storage bucket for two days."


@pytest.fixture
async def officer(users: UserFactory) -> SignedIn:
    return await users.create("Sid Security", staff=[StaffPermission.SECURITY])


@pytest.fixture(autouse=True)
def sweep_held(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The background sweep finishes no incident on its own, so a test sees what its calls
    did (the sweep's own path is tested by calling it)."""

    async def held() -> int:
        return 0

    assert isinstance(runtime.outbox, BackgroundWork)
    monkeypatch.setattr(runtime.outbox, "finish_incident_notices", held)


@pytest.fixture
def batches_of(runtime: Runtime) -> Iterator[Callable[[int], None]]:
    original = runtime.settings

    def change(size: int) -> None:
        runtime.settings = original.with_overrides(incident_notice_batch_size=size)

    yield change
    runtime.settings = original


def ago(**delta: float) -> datetime:
    return clock.now() - timedelta(**delta)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def incident_input(**changes: Any) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "summary": SUMMARY,
        "detectedAt": ago(hours=1).isoformat(),
        "categories": ["CONTACT", "CREDENTIAL"],
        "affectedUserIds": [],
    }
    return {**sent, **changes}


async def record(graphql: GraphQLClient, staff: SignedIn, **changes: Any) -> dict[str, Any]:
    body = await graphql.data(RECORD, {"input": incident_input(**changes)}, token=staff.token)
    payload: dict[str, Any] = body["recordSecurityIncident"]
    return payload


async def recorded(graphql: GraphQLClient, staff: SignedIn, **changes: Any) -> dict[str, Any]:
    payload = await record(graphql, staff, **changes)
    assert payload["errors"] == [], payload
    incident: dict[str, Any] = payload["incident"]
    return incident


async def notify_all(graphql: GraphQLClient, staff: SignedIn, incident_id: str) -> dict[str, Any]:
    body = await graphql.data(NOTIFY, {"input": {"incidentId": incident_id}}, token=staff.token)
    assert body["notifyAffectedUsers"]["errors"] == []
    incident: dict[str, Any] = body["notifyAffectedUsers"]["incident"]
    return incident


def ids(*people: SignedIn) -> list[str]:
    return [person.global_id for person in people]


async def affected_ids(incident_id: str) -> set[int]:
    return set(await AffectedUser.all().values_list("user_id", flat=True))


async def told(person: SignedIn) -> tuple[int, int]:
    """How many security notifications and outbox mails the person got."""
    kind = NotificationKind.SECURITY_INCIDENT
    notifications = await Notification.filter(recipient_id=person.user.id, kind=kind).count()
    mails = await OutboxEmail.filter(recipient_id=person.user.id, subject=SUBJECT).count()
    return notifications, mails


@pytest.mark.parametrize("category", list(Category))
def test_the_notice_names_the_category_concerned_and_what_to_do(category: Category) -> None:
    text = words(NotificationKind.SECURITY_INCIDENT, Facts(1, categories=(category,)))
    assert CATEGORY_WORDS[category] in text.body
    assert CATEGORY_ADVICE.get(category, "") in text.body
    others = [CATEGORY_WORDS[c] for c in Category if c is not category]
    assert not [phrase for phrase in others if phrase in text.body]


async def test_an_incident_is_recorded_with_its_72_hour_deadline_and_audited(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    alice, bob = await users.create("Alice"), await users.create("Bob")
    detected = ago(hours=1)

    incident = await recorded(
        graphql,
        staff,
        detectedAt=detected.isoformat(),
        categories=["CREDENTIAL", "CONTACT", "CONTACT"],
        affectedUserIds=[*ids(alice, bob), alice.global_id],
    )

    assert at(incident["detectedAt"]) == detected
    assert at(incident["authorityDeadline"]) == detected + timedelta(hours=72)
    assert incident["authorityDeadlineStatus"] == "RUNNING"
    assert 70.9 <= incident["hoursUntilAuthorityDeadline"] <= 71.0
    assert incident["categories"] == ["CONTACT", "CREDENTIAL"]  # in the registry's order
    assert incident["summary"] == SUMMARY
    assert (incident["affectedUserCount"], incident["notifiedUserCount"]) == (2, 0)
    assert incident["usersNotifiedAt"] is None
    assert await affected_ids(incident["id"]) == {alice.user.id, bob.user.id}
    (entry,) = await AuditEntry.filter(action=AuditAction.SECURITY_INCIDENT_RECORDED)
    assert entry.actor_id == staff.user.id and entry.subject_id is None
    (row,) = await SecurityIncident.all()
    assert entry.detail == {
        "incident": row.id,
        "categories": ["CONTACT", "CREDENTIAL"],
        "affected": 2,
    }
    # Nothing is sent before staff ask for it.
    assert await told(alice) == (0, 0)

    listed = await graphql.data(INCIDENTS, token=staff.token)
    (edge,) = listed["securityIncidents"]["edges"]
    assert edge["node"]["id"] == incident["id"]
    assert edge["node"]["authorityDeadline"] == incident["authorityDeadline"]


async def test_the_affected_set_comes_from_ids_and_from_the_sessions_of_the_window(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    """Everyone whose session was live at some moment of the window, and those named."""
    staff = officer
    now = clock.now()
    start, end = ago(hours=3).isoformat(), ago(hours=1).isoformat()
    window = {"kind": "SESSIONS_IN_WINDOW", "from": start, "to": end}
    people = {name: await users.create(name) for name in ("In", "Spans", "Revoked", "Named")}
    outside = {name: await users.create(name) for name in ("Ended", "Later", "Gone")}
    sessions = {
        "In": {"created_at": now - timedelta(hours=5), "expires_at": now - timedelta(hours=2)},
        "Spans": {"created_at": now - timedelta(hours=10)},
        "Revoked": {
            "created_at": now - timedelta(hours=10),
            "revoked_at": now - timedelta(hours=2),
        },
        "Named": {"created_at": now - timedelta(minutes=5)},  # after the window, but named
        "Ended": {"created_at": now - timedelta(hours=10), "expires_at": now - timedelta(hours=4)},
        "Later": {"created_at": now - timedelta(minutes=30)},
        "Gone": {"created_at": now - timedelta(hours=10), "revoked_at": now - timedelta(hours=4)},
    }
    for name, times in sessions.items():
        person = people.get(name) or outside[name]
        await Session.filter(user_id=person.user.id).update(**times)

    incident = await recorded(
        graphql,
        staff,
        affectedUserIds=ids(people["Named"], people["In"]),
        affectedUsersQuery=window,
    )

    assert await affected_ids(incident["id"]) == {person.user.id for person in people.values()}
    assert incident["affectedUserCount"] == 4


async def test_all_active_users_are_everyone_but_deactivated_accounts(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    alice, bob, gone = [await users.create(name) for name in ("Alice", "Bob", "Gone")]
    await User.filter(id=gone.user.id).update(is_active=False)

    incident = await recorded(graphql, staff, affectedUsersQuery={"kind": "ALL_ACTIVE_USERS"})

    everyone = {staff.user.id, alice.user.id, bob.user.id}
    assert await affected_ids(incident["id"]) == everyone
    assert incident["affectedUserCount"] == 3


async def test_each_affected_user_gets_one_notification_and_one_email_even_when_repeated(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn, mailbox: Mailbox
) -> None:
    staff = officer
    alice = await users.create("Alice Private", email="alice@example.com")
    bob = await users.create("Bob Private", email="bob@example.com")
    unverified = await users.create("Una", email="una@example.com", verified=False)
    bystander = await users.create("Carl", email="carl@example.com")
    incident = await recorded(graphql, staff, affectedUserIds=ids(alice, bob, unverified))

    first = await notify_all(graphql, staff, incident["id"])
    again = await notify_all(graphql, staff, incident["id"])

    assert (first["affectedUserCount"], first["notifiedUserCount"]) == (3, 3)
    assert first["usersNotifiedAt"] is not None
    assert again == first
    assert await told(alice) == await told(bob) == (1, 1)
    # Mail goes to confirmed addresses only, as all notification mail: an address nobody
    # confirmed may be someone else's. The notice is in the app all the same.
    assert await told(unverified) == (1, 0)
    assert await told(bystander) == (0, 0)
    assert await delivered(SUBJECT) == ["alice@example.com", "bob@example.com"]
    mail = await mailbox.wait_for("alice@example.com", SUBJECT)
    assert mailbox.to("alice@example.com") == [mail]
    text = mail.get_content()
    assert "your contact details" in text and "your sign-in secrets" in text
    assert "Change your password" in text
    assert "this mail always comes" in text
    for other in ("Bob", "bob@example.com", "Una", "backup", "bucket"):
        assert other not in text, other  # nobody else's data, nor the staff's record

    notifications = await graphql.data(NOTIFICATIONS, token=alice.token)
    (edge,) = notifications["notifications"]["edges"]
    assert edge["node"]["kind"] == "SECURITY_INCIDENT"
    assert edge["node"]["title"] == SUBJECT
    assert "your contact details" in edge["node"]["body"]

    audited = await AuditEntry.filter(action=AuditAction.SECURITY_INCIDENT_NOTIFIED).order_by("id")
    assert [(entry.actor_id, entry.detail["notified"]) for entry in audited] == [
        (staff.user.id, 3),
        (staff.user.id, 0),
    ]
    assert audited[0].detail["notified_total"] == audited[0].detail["affected"] == 3
    assert audited[0].detail["finished"] is True


async def test_interrupted_midway_and_repeated_each_user_is_told_exactly_once(
    graphql: GraphQLClient,
    users: UserFactory,
    officer: SignedIn,
    monkeypatch: pytest.MonkeyPatch,
    batches_of: Callable[[int], None],
) -> None:
    """The mail of the fourth person fails: the first batch of two stays told, the second
    batch (the third and fourth) is rolled back whole; repeated, the rest are told."""
    staff = officer
    batches_of(2)
    people = [await users.create(f"Person {n}") for n in range(5)]
    incident = await recorded(graphql, staff, affectedUserIds=ids(*people))
    real_enqueue = emit.enqueue_email
    queued: list[int] = []

    async def failing_on_the_fourth(user: User, subject: str, body: str) -> OutboxEmail:
        if len(queued) == 3:
            raise ConnectionError("the database went away")
        queued.append(user.id)
        return await real_enqueue(user, subject, body)

    monkeypatch.setattr(emit, "enqueue_email", failing_on_the_fourth)
    broken = await graphql(NOTIFY, {"input": {"incidentId": incident["id"]}}, token=staff.token)
    assert error_codes(broken) == ["SERVICE_UNAVAILABLE"]

    told_first = [await told(person) for person in people]
    assert told_first == [(1, 1), (1, 1), (0, 0), (0, 0), (0, 0)]
    (row,) = await SecurityIncident.all()
    assert (row.notified_user_count, row.users_notified_at) == (2, None)
    (partial,) = await AuditEntry.filter(action=AuditAction.SECURITY_INCIDENT_NOTIFIED)
    assert (partial.detail["notified"], partial.detail["finished"]) == (2, False)

    monkeypatch.setattr(emit, "enqueue_email", real_enqueue)
    finished = await notify_all(graphql, staff, incident["id"])
    again = await notify_all(graphql, staff, incident["id"])

    assert (finished["notifiedUserCount"], again["notifiedUserCount"]) == (5, 5)
    assert finished["usersNotifiedAt"] is not None
    assert [await told(person) for person in people] == [(1, 1)] * 5
    notified = await AffectedUser.filter(notified_at__isnull=False).count()
    assert notified == 5


async def test_the_sweep_finishes_telling_an_incident_a_crash_left_half_told(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn, runtime: Runtime
) -> None:
    staff = officer
    alice, bob = await users.create("Alice"), await users.create("Bob")
    incident = await recorded(graphql, staff, affectedUserIds=ids(alice, bob))
    await SecurityIncident.all().update(notifying_since=clock.now())  # a crashed call

    assert await incidents.resume_notifying(runtime) == 2
    assert await incidents.resume_notifying(runtime) == 0
    assert await told(alice) == await told(bob) == (1, 1)
    again = await notify_all(graphql, staff, incident["id"])
    assert (again["notifiedUserCount"], again["usersNotifiedAt"] is not None) == (2, True)
    (swept, _) = await AuditEntry.filter(action=AuditAction.SECURITY_INCIDENT_NOTIFIED).order_by(
        "id"
    )
    assert (swept.actor_id, swept.detail["notified"]) == (None, 2)


async def test_two_staff_and_the_sweep_at_once_tell_each_user_once(
    graphql: GraphQLClient,
    users: UserFactory,
    officer: SignedIn,
    runtime: Runtime,
    batches_of: Callable[[int], None],
) -> None:
    staff = officer
    batches_of(2)
    people = [await users.create(f"Person {n}") for n in range(7)]
    incident = await recorded(graphql, staff, affectedUserIds=ids(*people))

    await asyncio.gather(
        notify_all(graphql, staff, incident["id"]),
        notify_all(graphql, staff, incident["id"]),
        incidents.resume_notifying(runtime),
    )

    assert [await told(person) for person in people] == [(1, 1)] * 7
    (row,) = await SecurityIncident.all()
    assert (row.notified_user_count, row.users_notified_at is not None) == (7, True)


async def test_me_security_notices_lists_what_concerned_the_user_once_told(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    alice, bob = await users.create("Alice"), await users.create("Bob")
    older = await recorded(
        graphql, staff, affectedUserIds=ids(alice), summary="Older", categories=["FINANCIAL"]
    )
    newer = await recorded(graphql, staff, affectedUserIds=ids(alice, bob), summary="Newer")
    await notify_all(graphql, staff, newer["id"])

    def notices(body: Any) -> list[dict[str, Any]]:
        return [edge["node"] for edge in body["me"]["securityNotices"]["edges"]]

    (only,) = notices(await graphql.data(NOTICES, token=alice.token))
    assert (only["summary"], only["categories"]) == ("Newer", ["CONTACT", "CREDENTIAL"])
    assert only["detectedAt"] == newer["detectedAt"] and only["notifiedAt"] is not None
    await notify_all(graphql, staff, older["id"])

    mine = notices(await graphql.data(NOTICES, token=alice.token))
    assert [(n["summary"], n["categories"]) for n in mine] == [
        ("Older", ["FINANCIAL"]),
        ("Newer", ["CONTACT", "CREDENTIAL"]),
    ]
    assert [n["summary"] for n in notices(await graphql.data(NOTICES, token=bob.token))] == [
        "Newer"
    ]
    # Alice's notices are hers alone: not Bob's to read, nor the SECURITY staff's.
    query = "query U($id: ID!) { user(id: $id) { securityNotices { totalCount } } }"
    for viewer in (bob, staff):
        seen = await graphql.data(query, {"id": alice.global_id}, token=viewer.token)
        assert seen in ({"user": None}, {"user": {"securityNotices": None}})
    node = "query N($id: ID!) { node(id: $id) { ... on SecurityNotice { summary } } }"
    for viewer in (bob, staff):
        assert await graphql.data(node, {"id": mine[0]["id"]}, token=viewer.token) == {"node": None}
    own = await graphql.data(node, {"id": mine[0]["id"]}, token=alice.token)
    assert own == {"node": {"summary": "Older"}}


async def test_the_authority_deadline_can_be_met_and_is_shown_as_met(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    incident = await recorded(graphql, staff, affectedUserIds=ids(await users.create("Alice")))
    told_at = clock.now().isoformat()

    body = await graphql.data(
        MARK, {"input": {"incidentId": incident["id"], "notifiedAt": told_at}}, token=staff.token
    )

    marked = body["markAuthorityNotified"]
    assert marked["errors"] == []
    assert at(marked["incident"]["authorityNotifiedAt"]) == at(told_at)
    assert marked["incident"]["authorityDeadlineStatus"] == "MET"
    assert marked["incident"]["hoursUntilAuthorityDeadline"] is None
    (entry,) = await AuditEntry.filter(action=AuditAction.INCIDENT_AUTHORITY_NOTIFIED)
    assert entry.actor_id == staff.user.id and entry.detail["late"] is False
    twice = await graphql.data(MARK, {"input": {"incidentId": incident["id"]}}, token=staff.token)
    assert twice["markAuthorityNotified"]["errors"] == [
        {
            "field": "incidentId",
            "code": "CONFLICT",
            "message": "The authority's notification is already recorded.",
        }
    ]


async def test_past_72_hours_an_incident_is_overdue_and_a_late_notice_states_the_delay(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    detected = ago(hours=80).isoformat()
    person = await users.create("A")
    incident = await recorded(graphql, staff, affectedUserIds=ids(person), detectedAt=detected)
    assert incident["authorityDeadlineStatus"] == "OVERDUE"
    assert -8.1 <= incident["hoursUntilAuthorityDeadline"] <= -7.9

    refused = await graphql.data(MARK, {"input": {"incidentId": incident["id"]}}, token=staff.token)
    assert [(e["field"], e["code"]) for e in refused["markAuthorityNotified"]["errors"]] == [
        ("delayReason", "BAD_USER_INPUT")
    ]
    assert (await SecurityIncident.get()).authority_notified_at is None
    late = await graphql.data(
        MARK,
        {
            "input": {
                "incidentId": incident["id"],
                "delayReason": "The breach was found at a weekend.",
            }
        },
        token=staff.token,
    )
    shown = late["markAuthorityNotified"]["incident"]
    assert shown["authorityDeadlineStatus"] == "MISSED"
    assert shown["authorityDelayReason"] == "The breach was found at a weekend."


@pytest.mark.parametrize(
    ("notified_at", "field"),
    [
        (lambda: ago(hours=2), "notifiedAt"),
        (lambda: clock.now() + timedelta(hours=1), "notifiedAt"),
    ],
    ids=["before detection", "in the future"],
)
async def test_an_authority_notification_at_an_impossible_time_is_refused(
    graphql: GraphQLClient,
    users: UserFactory,
    officer: SignedIn,
    notified_at: Callable[[], datetime],
    field: str,
) -> None:
    staff = officer
    incident = await recorded(graphql, staff, affectedUserIds=ids(await users.create("A")))
    sent = {"incidentId": incident["id"], "notifiedAt": notified_at().isoformat()}
    body = await graphql.data(MARK, {"input": sent}, token=staff.token)
    errors = body["markAuthorityNotified"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, "BAD_USER_INPUT")]
    assert (await SecurityIncident.get()).authority_notified_at is None


async def test_staff_without_security_and_anonymous_callers_are_refused(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn
) -> None:
    staff = officer
    alice = await users.create("Alice")
    incident = await recorded(graphql, staff, affectedUserIds=ids(alice))
    others = await users.create(
        "Pia", staff=[StaffPermission.VIEW_PII, StaffPermission.MANAGE_USERS, StaffPermission.LEGAL]
    )
    by_id = {"input": {"incidentId": incident["id"]}}
    operations = [
        (RECORD, {"input": incident_input(affectedUserIds=ids(alice))}),
        (NOTIFY, by_id),
        (MARK, by_id),
        (INCIDENTS, {}),
    ]
    for operation, variables in operations:
        assert error_codes(await graphql(operation, variables, token=others.token)) == ["FORBIDDEN"]
        assert error_codes(await graphql(operation, variables, token=alice.token)) == ["FORBIDDEN"]
        assert error_codes(await graphql(operation, variables)) == ["UNAUTHENTICATED"]
    assert await SecurityIncident.all().count() == 1
    assert await told(alice) == (0, 0)
    assert (await SecurityIncident.get()).authority_notified_at is None
    node = "query N($id: ID!) { node(id: $id) { id } }"
    for viewer in (others, alice):
        found = await graphql.data(node, {"id": incident["id"]}, token=viewer.token)
        assert found == {"node": None}


def _window(**changes: Any) -> dict[str, Any]:
    return {"affectedUsersQuery": {"kind": "SESSIONS_IN_WINDOW", **changes}}


BAD_INPUT: dict[str, tuple[Callable[[], dict[str, Any]], str, str]] = {
    "an empty summary": (lambda: {"summary": "   "}, "summary", "BAD_USER_INPUT"),
    "a summary too long": (lambda: {"summary": "x" * 4001}, "summary", "BAD_USER_INPUT"),
    "detected in the future": (
        lambda: {"detectedAt": (clock.now() + timedelta(minutes=5)).isoformat()},
        "detectedAt",
        "BAD_USER_INPUT",
    ),
    "a time without its offset": (
        lambda: {"detectedAt": ago(hours=1).replace(tzinfo=None).isoformat()},
        "detectedAt",
        "BAD_USER_INPUT",
    ),
    "no categories": (lambda: {"categories": []}, "categories", "BAD_USER_INPUT"),
    "an unknown user": (
        lambda: {"affectedUserIds": [to_base64("User", 987654321)]},
        "affectedUserIds",
        "NOT_FOUND",
    ),
    "another type's id": (
        lambda: {"affectedUserIds": [to_base64("Post", 1)]},
        "affectedUserIds",
        "NOT_FOUND",
    ),
    "nobody named": (lambda: {"affectedUserIds": []}, "affectedUserIds", "BAD_USER_INPUT"),
    "a window without its end": (
        lambda: _window(**{"from": ago(hours=2).isoformat()}),
        "affectedUsersQuery.from",
        "BAD_USER_INPUT",
    ),
    "a window that ends before it starts": (
        lambda: _window(**{"from": ago(hours=1).isoformat(), "to": ago(hours=2).isoformat()}),
        "affectedUsersQuery.to",
        "BAD_USER_INPUT",
    ),
    "a window in the future": (
        lambda: _window(
            **{
                "from": ago(hours=1).isoformat(),
                "to": (clock.now() + timedelta(hours=1)).isoformat(),
            }
        ),
        "affectedUsersQuery.to",
        "BAD_USER_INPUT",
    ),
    "everyone, with a window": (
        lambda: {
            "affectedUsersQuery": {"kind": "ALL_ACTIVE_USERS", "from": ago(hours=1).isoformat()}
        },
        "affectedUsersQuery.from",
        "BAD_USER_INPUT",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
async def test_bad_input_is_refused_with_a_typed_error_and_nothing_is_stored(
    graphql: GraphQLClient, users: UserFactory, officer: SignedIn, case: str
) -> None:
    staff = officer
    alice = await users.create("Alice")
    changes, field, code = BAD_INPUT[case]
    sent = {"affectedUserIds": ids(alice), **changes()}

    payload = await record(graphql, staff, **sent)

    assert payload["incident"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await SecurityIncident.all().count() == 0
    assert await AffectedUser.all().count() == 0
    assert not await AuditEntry.filter(action=AuditAction.SECURITY_INCIDENT_RECORDED).exists()


async def test_an_unknown_incident_is_not_found(graphql: GraphQLClient, officer: SignedIn) -> None:
    staff = officer
    unknown = {"input": {"incidentId": to_base64("SecurityIncident", 424242)}}
    for operation, name in ((NOTIFY, "notifyAffectedUsers"), (MARK, "markAuthorityNotified")):
        body = await graphql.data(operation, unknown, token=staff.token)
        assert [(e["field"], e["code"]) for e in body[name]["errors"]] == [
            ("incidentId", "NOT_FOUND")
        ]


async def test_erasure_takes_the_persons_notices_and_the_incident_keeps_its_counts(
    graphql: GraphQLClient,
    users: UserFactory,
    officer: SignedIn,
    mailbox: Mailbox,
    runtime: Runtime,
) -> None:
    """The per-person row is the person's data and goes with them; the incident names
    nobody, so it stays, with how many it concerned and told."""
    staff = officer
    alice, bob = await users.create("Alice"), await users.create("Bob")
    incident = await recorded(graphql, staff, affectedUserIds=ids(alice, bob))
    await notify_all(graphql, staff, incident["id"])

    confirm_token, _ = await asked(graphql, mailbox, alice)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1

    assert await affected_ids(incident["id"]) == {bob.user.id}
    listed = await graphql.data(INCIDENTS, token=staff.token)
    (edge,) = listed["securityIncidents"]["edges"]
    assert (edge["node"]["affectedUserCount"], edge["node"]["notifiedUserCount"]) == (2, 2)
    assert edge["node"]["summary"] == SUMMARY

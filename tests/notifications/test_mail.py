"""Which notifications also come by email is each user's choice, except mail the service owes
(receipts, a policy change to review) (P10)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from models.outbox import OutboxEmail
from tests.marketplace.helpers import become_mentor, completed_job, request_job
from tests.notifications.helpers import PREFERENCES, UPDATE_PREFERENCES, kinds_of
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P10")

DEFAULTS = [
    ("JOB_REQUESTED", True, False),
    ("JOB_ACCEPTED", True, False),
    ("JOB_DECLINED", True, False),
    ("JOB_PAID", True, True),
    ("JOB_DELIVERED", True, False),
    ("JOB_COMPLETED", False, False),
    ("JOB_CANCELLED", True, False),
    ("TESTIMONIAL_WRITTEN", False, False),
    ("PAYMENT_REFUNDED", True, True),
    ("PAYMENT_DISPUTED", True, False),
    ("PAYOUT_READY", True, False),
    ("DATA_EXPORT_READY", True, False),
    ("SECURITY_INCIDENT", True, True),
    ("NEW_DEVICE_LOGIN", True, True),
    ("POLICY_UPDATED", True, True),
    ("LEGAL_DISCLOSURE", True, False),
]


async def _preferences(graphql: GraphQLClient, who: SignedIn) -> list[tuple[str, bool, bool]]:
    data = await graphql.data(PREFERENCES, token=who.token)
    return [
        (choice["kind"], choice["email"], choice["emailRequired"])
        for choice in data["me"]["notificationPreferences"]
    ]


async def _choose(graphql: GraphQLClient, who: SignedIn, **choices: bool) -> dict[str, Any]:
    given = [{"kind": kind, "email": email} for kind, email in choices.items()]
    data = await graphql.data(UPDATE_PREFERENCES, {"input": {"choices": given}}, token=who.token)
    payload: dict[str, Any] = data["updateNotificationPreferences"]
    return payload


async def _pair(graphql: GraphQLClient, users: UserFactory) -> tuple[SignedIn, SignedIn, str]:
    client = await users.create("Carla Client", email="carla@example.com")
    mentor = await users.create("Mona Mentor", email="mona@example.com")
    return client, mentor, await become_mentor(graphql, mentor)


async def test_by_default_what_someone_waits_on_comes_by_email(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    assert await _preferences(graphql, await users.create()) == DEFAULTS


async def test_a_request_mails_the_mentor_words_that_name_nobody(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox
) -> None:
    client, _mentor, mentor_id = await _pair(graphql, users)
    await request_job(graphql, client, mentor_id, "Review my thesis on compilers")
    mail = await mailbox.wait_for("mona@example.com", "New job request")
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "A client asked for your help" in text
    assert "updateNotificationPreferences" in text
    for private in ("Carla", "thesis", "carla@example.com"):
        assert private not in text + str(mail["Subject"])


async def test_turning_a_kind_off_stops_its_mail_not_the_notification(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    chosen = await _choose(graphql, mentor, JOB_REQUESTED=False)
    assert chosen["errors"] == []
    assert ("JOB_REQUESTED", False, False) in [
        (c["kind"], c["email"], c["emailRequired"]) for c in chosen["preferences"]
    ]
    await request_job(graphql, client, mentor_id)
    assert await kinds_of(graphql, mentor) == ["JOB_REQUESTED"]
    assert await OutboxEmail.filter(to_address="mona@example.com").count() == 0


async def test_turning_a_kind_on_mails_it(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    assert (await _choose(graphql, mentor, JOB_COMPLETED=True))["errors"] == []
    await completed_job(graphql, client, mentor, mentor_id)
    await mailbox.wait_for("mona@example.com", "Job completed")


async def test_a_receipt_cannot_be_turned_off(graphql: GraphQLClient, users: UserFactory) -> None:
    who = await users.create()
    refused = await _choose(graphql, who, JOB_COMPLETED=True, JOB_PAID=False)
    assert refused == {
        "preferences": [],
        "errors": [
            {
                "field": "choices",
                "code": "BAD_USER_INPUT",
                "message": "JOB_PAID always comes by email: it cannot be turned off.",
            }
        ],
    }
    assert await _preferences(graphql, who) == DEFAULTS


async def test_each_kind_is_chosen_once(graphql: GraphQLClient, users: UserFactory) -> None:
    who = await users.create()
    given = [{"kind": "JOB_COMPLETED", "email": True}, {"kind": "JOB_COMPLETED", "email": False}]
    data = await graphql.data(UPDATE_PREFERENCES, {"input": {"choices": given}}, token=who.token)
    assert data["updateNotificationPreferences"]["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_an_unconfirmed_address_gets_no_notification_mail(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    """An address nobody confirmed may be someone else's: the app shows it, mail waits."""
    client = await users.create("Carla Client")
    mentor = await users.create("Mona Mentor", email="unsure@example.com", verified=False)
    await request_job(graphql, client, await become_mentor(graphql, mentor))
    assert await kinds_of(graphql, mentor) == ["JOB_REQUESTED"]
    assert await OutboxEmail.filter(to_address="unsure@example.com").count() == 0


async def test_choices_are_your_own(graphql: GraphQLClient, users: UserFactory) -> None:
    client, mentor, _ = await _pair(graphql, users)
    await _choose(graphql, mentor, JOB_REQUESTED=False)
    query = "query U($id: ID!) { user(id: $id) { name notificationPreferences { kind } } }"
    seen = await graphql.data(query, {"id": to_base64("User", mentor.user.id)}, token=client.token)
    assert seen == {"user": {"name": "Mona Mentor", "notificationPreferences": None}}

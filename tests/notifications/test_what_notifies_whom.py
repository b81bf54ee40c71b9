"""Each change that concerns someone writes them a notification, with the change (P10)."""

from __future__ import annotations

from typing import Any

import pytest

from models.accounts import StaffPermission
from models.marketplace import Job
from models.notifications import Notification
from models.outbox import OutboxEmail
from tests.marketplace.helpers import (
    ACCEPT_JOB,
    become_mentor,
    completed_job,
    job_action,
    request_job,
    write_testimonial,
)
from tests.notifications.helpers import kinds_of, notifications_of
from tests.payments.helpers import PRICE, accepted_job, onboard_mentor, paid_job, the_payment
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P10")

REFUND = document("RefundPayment")


async def _parties(graphql: GraphQLClient, users: UserFactory) -> tuple[SignedIn, SignedIn, str]:
    client = await users.create("Carla Client")
    mentor = await users.create("Mona Mentor")
    return client, mentor, await become_mentor(graphql, mentor)


async def test_a_job_request_tells_the_mentor_and_names_nobody(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    client, mentor, mentor_id = await _parties(graphql, users)
    job_id = await request_job(graphql, client, mentor_id, "Review my thesis on compilers")

    [told] = await notifications_of(graphql, mentor)
    assert {key: told[key] for key in ("kind", "title", "body", "readAt", "job")} == {
        "kind": "JOB_REQUESTED",
        "title": "New job request",
        "body": "A client asked for your help: accept it with a price, or decline it.",
        "readAt": None,
        "job": {"id": job_id, "status": "REQUESTED"},
    }
    assert await notifications_of(graphql, client) == []


async def test_each_step_of_a_job_tells_the_other_party(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    client, mentor, mentor_id = await _parties(graphql, users)
    await completed_job(graphql, client, mentor, mentor_id)
    # The platform marked it paid: that concerns both.
    assert await kinds_of(graphql, client) == ["JOB_ACCEPTED", "JOB_PAID", "JOB_DELIVERED"]
    assert await kinds_of(graphql, mentor) == ["JOB_REQUESTED", "JOB_PAID", "JOB_COMPLETED"]


async def test_the_paid_receipt_differs_for_client_and_mentor(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    [client_told] = [
        n for n in await notifications_of(graphql, deal.client) if n["kind"] == "JOB_PAID"
    ]
    [mentor_told] = [
        n for n in await notifications_of(graphql, deal.mentor) if n["kind"] == "JOB_PAID"
    ]
    assert (client_told["title"], client_told["body"]) == (
        "Payment received",
        "Your payment went through: your mentor can start.",
    )
    assert (mentor_told["title"], mentor_told["body"]) == (
        "Job paid",
        "The client paid for this job: you can start the work.",
    )


@pytest.mark.parametrize(
    ("step", "by", "told", "body"),
    [
        ("declineJob", "mentor", "client", "The mentor declined this request."),
        ("cancelJob", "client", "mentor", "The client cancelled this job."),
    ],
)
async def test_declining_and_cancelling_tell_the_other_party(
    graphql: GraphQLClient, users: UserFactory, step: str, by: str, told: str, body: str
) -> None:
    client, mentor, mentor_id = await _parties(graphql, users)
    people = {"client": client, "mentor": mentor}
    job_id = await request_job(graphql, client, mentor_id)
    answered = await job_action(graphql, step, job_id, people[by])
    assert answered["data"][step]["errors"] == []

    [latest, *_] = await notifications_of(graphql, people[told])
    assert (latest["body"], latest["job"]["id"]) == (body, job_id)
    assert "JOB_DECLINED" not in await kinds_of(graphql, people[by])
    assert "JOB_CANCELLED" not in await kinds_of(graphql, people[by])


async def test_a_mentor_cancelling_an_accepted_job_tells_the_client(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    cancelled = await job_action(graphql, "cancelJob", deal.job_id, deal.mentor)
    assert cancelled["data"]["cancelJob"]["errors"] == []
    [latest, *_] = await notifications_of(graphql, deal.client)
    assert (latest["kind"], latest["body"]) == ("JOB_CANCELLED", "The mentor cancelled this job.")


async def test_a_refused_change_tells_nobody(graphql: GraphQLClient, users: UserFactory) -> None:
    """A mentor without payouts cannot accept: the job stays REQUESTED and the client hears
    nothing."""
    client = await users.create("Carla Client")
    unready = await users.create("Uma Unready")
    job_id = await request_job(
        graphql, client, await become_mentor(graphql, unready, payout_ready=False)
    )
    refused = await graphql.data(
        ACCEPT_JOB, {"input": {"jobId": job_id, "price": PRICE}}, token=unready.token
    )
    assert refused["acceptJob"]["errors"][0]["code"] == "CONFLICT"
    assert await notifications_of(graphql, client) == []


async def test_the_notification_rolls_back_with_its_change(
    graphql: GraphQLClient, users: UserFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Written in the change's own transaction: when its mail cannot be queued, neither the
    job nor its notification exists."""
    client, _mentor, mentor_id = await _parties(graphql, users)

    async def broken(*args: Any, **kwargs: Any) -> OutboxEmail:
        raise RuntimeError("the outbox is unwritable")

    monkeypatch.setattr("services.notifications.emit.enqueue_email", broken)
    body = await graphql(
        document("RequestJob"),
        {"input": {"mentorId": mentor_id, "description": "Help"}},
        token=client.token,
    )
    assert error_codes(body) == ["INTERNAL"]
    assert (await Job.all().count(), await Notification.all().count()) == (0, 0)


async def test_a_testimonial_tells_its_mentor_who_may_open_it(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    client, mentor, mentor_id = await _parties(graphql, users)
    job_id = await completed_job(graphql, client, mentor, mentor_id)
    testimonial_id = await write_testimonial(graphql, client, job_id, 4, "Clear and patient.")

    [latest, *_] = await notifications_of(graphql, mentor)
    assert (latest["kind"], latest["testimonial"], latest["job"]["id"]) == (
        "TESTIMONIAL_WRITTEN",
        {"id": testimonial_id},
        job_id,
    )
    assert "Clear and patient" not in latest["body"]


async def test_refunds_tell_the_client_and_a_full_one_ends_the_job_for_both(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])
    history = await graphql.data(document("Payments"), token=deal.client.token)
    payment_id = history["payments"]["edges"][0]["node"]["id"]

    for amount in ({"amount": {"amountCents": 1500, "currency": "EUR"}}, {}):
        refunded = await graphql.data(
            REFUND,
            {"input": {"paymentId": payment_id, "reason": "REQUESTED_BY_CUSTOMER", **amount}},
            token=staff.token,
        )
        assert refunded["refundPayment"]["errors"] == []
    # Stripe's own account of the refunds changes nothing more.
    for event in stripe.events_of("charge.refunded"):
        assert await stripe.deliver(event) == 200

    told = await notifications_of(graphql, deal.client)
    assert [(n["kind"], n["body"]) for n in told[:3]] == [
        ("JOB_CANCELLED", "This job was cancelled and its payment went back."),
        ("PAYMENT_REFUNDED", "Your payment was refunded in full."),
        ("PAYMENT_REFUNDED", "Part of your payment was refunded."),
    ]
    assert told[1]["payment"] == {"id": payment_id, "status": "REFUNDED"}
    assert (await kinds_of(graphql, deal.mentor))[-1] == "JOB_CANCELLED"
    assert "PAYMENT_REFUNDED" not in await kinds_of(graphql, deal.mentor)


async def test_a_dispute_tells_the_client_once(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    opened = stripe.open_dispute((await the_payment(deal)).stripe_payment_intent_id)
    for _ in range(2):  # Stripe delivers an event as often as it likes
        assert await stripe.deliver(opened) == 200
    assert (await kinds_of(graphql, deal.client))[-1:] == ["PAYMENT_DISPUTED"]
    assert (await kinds_of(graphql, deal.client)).count("PAYMENT_DISPUTED") == 1
    assert "PAYMENT_DISPUTED" not in await kinds_of(graphql, deal.mentor)


async def test_payouts_opening_tell_the_mentor_the_first_time_only(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    mentor = await users.create("Mona Mentor")
    await become_mentor(graphql, mentor, payout_ready=False)
    account_id = await onboard_mentor(graphql, stripe, mentor)
    assert await kinds_of(graphql, mentor) == ["PAYOUT_READY"]

    disabled = stripe.record_event(
        "account.updated", {**stripe.accounts[account_id], "payouts_enabled": False}
    )
    assert await stripe.deliver(disabled) == 200
    assert await stripe.deliver(stripe.complete_onboarding(account_id)) == 200
    assert await kinds_of(graphql, mentor) == ["PAYOUT_READY"]

"""Disputes move payment and job to DISPUTED and back; staff refunds show in billing history."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from localstripe.errors import UserError
from localstripe.resources import Refund

from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from tests.marketplace.helpers import job_action
from tests.payments.helpers import PAYMENTS, Deal, job_status, paid_job, the_payment
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

REFUND = document("RefundPayment")


def eur(cents: int) -> dict[str, Any]:
    return {"amountCents": cents, "currency": "EUR"}


async def _payment_node(graphql: GraphQLClient, deal: Deal) -> dict[str, Any]:
    history = await graphql.data(PAYMENTS, token=deal.client.token)
    node: dict[str, Any] = history["payments"]["edges"][0]["node"]
    return node


async def _refund(
    graphql: GraphQLClient, staff: SignedIn, payment_id: str, **fields: Any
) -> dict[str, Any]:
    body = await graphql(
        REFUND,
        {"input": {"paymentId": payment_id, "reason": "REQUESTED_BY_CUSTOMER", **fields}},
        token=staff.token,
    )
    return body


async def _paid_with_payments_staff(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> tuple[Deal, SignedIn, str]:
    """A paid job, a staff member who may refund it, and its payment's ID."""
    deal = await paid_job(graphql, users, stripe)
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])
    return deal, staff, (await _payment_node(graphql, deal))["id"]


async def test_a_dispute_makes_payment_and_job_disputed_and_winning_it_resolves_them(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    payment = await the_payment(deal)

    opened = stripe.open_dispute(payment.stripe_payment_intent_id)
    assert await stripe.deliver(opened) == 200
    node = await _payment_node(graphql, deal)
    assert (node["status"], node["disputeStatus"], node["job"]) == (
        "DISPUTED",
        "OPEN",
        {"id": deal.job_id, "status": "DISPUTED"},
    )

    won = stripe.settle_dispute(opened["data"]["object"]["id"], "won")
    assert await stripe.deliver(won) == 200
    node = await _payment_node(graphql, deal)
    assert (node["status"], node["disputeStatus"], node["job"]["status"]) == (
        "SUCCEEDED",
        "WON",
        "PAID",
    )


async def test_losing_a_dispute_ends_the_job(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    payment = await the_payment(deal)
    opened = stripe.open_dispute(payment.stripe_payment_intent_id)
    assert await stripe.deliver(opened) == 200

    # Conceding through the API closes it as lost.
    await stripe.api.v1.disputes.close_async(opened["data"]["object"]["id"])
    (closed,) = stripe.events_of("charge.dispute.closed")
    assert await stripe.deliver(closed) == 200

    node = await _payment_node(graphql, deal)
    assert (node["status"], node["disputeStatus"], node["job"]["status"]) == (
        "DISPUTE_LOST",
        "LOST",
        "CANCELLED",
    )


async def test_a_partial_then_full_refund_shows_in_billing_history(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    partial = await _refund(graphql, staff, payment_id, amount=eur(1500))
    assert partial["data"]["refundPayment"] == {
        "payment": {
            "id": payment_id,
            "status": "PARTIALLY_REFUNDED",
            "refunded": {"amountCents": 1500, "currency": "EUR"},
            "job": {"id": deal.job_id, "status": "PAID"},
        },
        "errors": [],
    }
    # Stripe's own account of it agrees, whenever it arrives.
    (refunded_event,) = stripe.events_of("charge.refunded")
    assert await stripe.deliver(refunded_event) == 200
    node = await _payment_node(graphql, deal)
    assert (node["status"], node["refunded"]) == (
        "PARTIALLY_REFUNDED",
        {"amountCents": 1500, "currency": "EUR"},
    )

    rest = await _refund(graphql, staff, payment_id)
    assert rest["data"]["refundPayment"]["payment"]["refunded"]["amountCents"] == 5000
    node = await _payment_node(graphql, deal)
    assert (node["status"], node["job"]["status"]) == ("REFUNDED", "CANCELLED")

    refunds = await stripe.api.v1.refunds.list_async(
        params={"payment_intent": (await the_payment(deal)).stripe_payment_intent_id}
    )
    assert sorted(r.amount for r in refunds.data) == [1500, 3500]
    audited = await AuditEntry.filter(action=AuditAction.PAYMENT_REFUNDED).order_by("id")
    assert [(a.actor_id, a.subject_id, a.detail["reason"]) for a in audited] == [
        (staff.user.id, deal.client.user.id, "requested_by_customer")
    ] * 2


async def test_refunds_are_for_payments_staff_and_within_what_remains(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    payment_id = (await _payment_node(graphql, deal))["id"]

    assert error_codes(await _refund(graphql, deal.client, payment_id)) == ["FORBIDDEN"]
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])
    too_much = await _refund(graphql, staff, payment_id, amount=eur(5001))
    assert too_much["data"]["refundPayment"]["errors"] == [
        {
            "field": "amount",
            "code": "BAD_USER_INPUT",
            "message": "The refund must be between 1 and 5000 minor units of EUR.",
        }
    ]
    assert stripe.events_of("charge.refunded") == []


async def test_a_refund_in_another_currency_than_the_payment_is_refused(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    dollars = await _refund(
        graphql, staff, payment_id, amount={"amountCents": 1500, "currency": "usd"}
    )

    assert dollars["data"]["refundPayment"] == {
        "errors": [
            {"field": "amount", "code": "BAD_USER_INPUT", "message": "Give this amount in EUR."}
        ],
        "payment": None,
    }
    assert stripe.events_of("charge.refunded") == []
    assert (await the_payment(deal)).refunded_cents == 0
    euros = await _refund(
        graphql, staff, payment_id, amount={"amountCents": 1500, "currency": "eur"}
    )
    assert euros["data"]["refundPayment"]["errors"] == []


@pytest.mark.parametrize("outcome", ["won", "lost"])
async def test_a_disputed_payment_cannot_be_refunded_meanwhile(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, outcome: str
) -> None:
    deal = await paid_job(graphql, users, stripe)
    staff = await users.create("Pat Payments", staff=[StaffPermission.MANAGE_PAYMENTS])
    payment = await the_payment(deal)
    opened = stripe.open_dispute(payment.stripe_payment_intent_id)
    assert await stripe.deliver(opened) == 200
    payment_id = (await _payment_node(graphql, deal))["id"]

    refused = await _refund(graphql, staff, payment_id)
    assert refused["data"]["refundPayment"]["errors"][0]["code"] == "CONFLICT"

    closed = stripe.settle_dispute(opened["data"]["object"]["id"], outcome)
    assert await stripe.deliver(closed) == 200
    after = await _refund(graphql, staff, payment_id)
    codes = [e["code"] for e in after["data"]["refundPayment"]["errors"]]
    assert codes == ([] if outcome == "won" else ["CONFLICT"])
    assert await job_status(deal) == "CANCELLED"


async def test_a_refund_retried_after_a_lost_answer_refunds_once(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    stripe.lose_next_answer_to.add("/v1/refunds")
    lost = await _refund(graphql, staff, payment_id, amount=eur(1500))
    assert lost["data"]["refundPayment"]["errors"][0]["code"] == "PAYMENT_PROVIDER_UNAVAILABLE"
    # Stripe did refund, and says so before staff try again.
    (refunded,) = stripe.events_of("charge.refunded")
    assert await stripe.deliver(refunded) == 200

    retried = await _refund(graphql, staff, payment_id, amount=eur(1500))
    assert retried["data"]["refundPayment"]["errors"] == []
    assert retried["data"]["refundPayment"]["payment"]["refunded"]["amountCents"] == 1500
    intent_id = (await the_payment(deal)).stripe_payment_intent_id
    refunds = await stripe.api.v1.refunds.list_async(params={"payment_intent": intent_id})
    assert [refund.amount for refund in refunds.data] == [1500]

    another = await _refund(graphql, staff, payment_id, amount=eur(500))
    assert another["data"]["refundPayment"]["payment"]["refunded"]["amountCents"] == 2000


async def test_two_refunds_at_once_refund_once_and_record_what_stripe_took(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    first, second = await asyncio.gather(
        _refund(graphql, staff, payment_id, amount=eur(1000)),
        _refund(graphql, staff, payment_id, amount=eur(2000)),
    )
    codes = sorted(
        error["code"]
        for body in (first, second)
        for error in body["data"]["refundPayment"]["errors"]
    )
    assert codes in ([], ["CONFLICT"])
    intent_id = (await the_payment(deal)).stripe_payment_intent_id
    refunds = await stripe.api.v1.refunds.list_async(params={"payment_intent": intent_id})
    assert (await the_payment(deal)).refunded_cents == sum(r.amount for r in refunds.data)


async def test_a_request_stripe_refuses_is_bad_input_with_its_reason(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, monkeypatch: Any
) -> None:
    deal, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    create = Refund._api_create

    def refuse_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(Refund, "_api_create", create)
        raise UserError(
            400,
            "Refund amount is greater than unrefunded amount on charge",
            {"code": "amount_too_large"},
        )

    monkeypatch.setattr(Refund, "_api_create", refuse_once)
    body = await _refund(graphql, staff, payment_id)
    assert body["data"]["refundPayment"]["errors"] == [
        {
            "field": "amount",
            "code": "BAD_USER_INPUT",
            "message": "The payment provider refused this: Refund amount is greater than "
            "unrefunded amount on charge",
        }
    ]
    assert (await the_payment(deal)).refunded_cents == 0
    # Nothing moved, so a smaller refund next is a new request, not a replay of the refusal.
    smaller = await _refund(graphql, staff, payment_id, amount=eur(1000))
    assert smaller["data"]["refundPayment"]["errors"] == []
    assert (await the_payment(deal)).refunded_cents == 1000


async def test_a_refusal_that_would_name_our_stripe_objects_shows_only_its_code(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, monkeypatch: Any
) -> None:
    _, staff, payment_id = await _paid_with_payments_staff(graphql, users, stripe)

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise UserError(400, "No such destination: 'acct_1Secret'", {"code": "resource_missing"})

    monkeypatch.setattr(Refund, "_api_create", refuse)
    body = await _refund(graphql, staff, payment_id)
    assert body["data"]["refundPayment"]["errors"][0]["message"] == (
        "The payment provider refused this request (resource_missing)."
    )


@pytest.mark.parametrize("closing_first", [False, True], ids=["in order", "closing first"])
async def test_a_lost_dispute_ends_a_completed_job_whatever_the_event_order(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, closing_first: bool
) -> None:
    deal = await paid_job(graphql, users, stripe)
    for action, who in (("deliverJob", deal.mentor), ("completeJob", deal.client)):
        assert (await job_action(graphql, action, deal.job_id, who))["data"][action]["errors"] == []
    opened = stripe.open_dispute((await the_payment(deal)).stripe_payment_intent_id)
    lost = stripe.settle_dispute(opened["data"]["object"]["id"], "lost")
    for event in (lost, opened) if closing_first else (opened, lost):
        assert await stripe.deliver(event) == 200

    assert await job_status(deal) == "CANCELLED"
    assert (await the_payment(deal)).status.value == "DISPUTE_LOST"

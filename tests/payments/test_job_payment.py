"""A client pays for an accepted job: PaymentIntent at Stripe, signed event back, job PAID."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import stripe as stripe_lib
from localstripe.errors import UserError
from localstripe.resources import PaymentIntent

from models.marketplace import Job
from models.payments import Payment, StripeCustomer, WebhookEvent
from services.payments import charges, settlement
from tests.marketplace.helpers import become_mentor, request_job
from tests.payments.helpers import (
    JOB,
    PAYMENTS,
    PRICE,
    START_JOB_PAYMENT,
    accepted_job,
    job_status,
    pay,
    start_payment,
    the_payment,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.stripe_server import StripeServer
from tests.support.users import UserFactory

UNAVAILABLE = {
    "field": None,
    "code": "PAYMENT_PROVIDER_UNAVAILABLE",
    "message": "The payment provider is unavailable; try again shortly.",
}


async def test_a_client_pays_for_an_accepted_job_end_to_end(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)

    started = await start_payment(graphql, deal)
    assert started["errors"] == []
    assert started["clientSecret"].startswith("pi_")
    assert started["payment"]["status"] == "PENDING"
    assert started["payment"]["amount"] == PRICE

    intent_id = started["clientSecret"].split("_secret_")[0]
    intent = await stripe.api.v1.payment_intents.retrieve_async(intent_id)
    # A destination charge to the mentor's connected account, with the platform's 10 % fee.
    assert intent.amount == 5000 and intent.currency == "eur"
    assert intent.application_fee_amount == 500
    assert intent.transfer_data.destination == next(iter(stripe.accounts))

    confirmed = await stripe.api.v1.payment_intents.confirm_async(
        intent_id, params={"payment_method": "pm_card_visa"}
    )
    assert confirmed.status == "succeeded"
    assert await job_status(deal) == "ACCEPTED"  # nothing changes until Stripe says so

    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    assert await stripe.deliver(succeeded) == 200

    job = (await graphql.data(JOB, {"id": deal.job_id}, token=deal.client.token))["job"]
    assert (job["id"], job["status"]) == (deal.job_id, "PAID")
    history = await graphql.data(PAYMENTS, token=deal.client.token)
    assert history["payments"]["totalCount"] == 1
    payment = history["payments"]["edges"][0]["node"]
    assert payment["paidAt"] is not None
    assert {field: value for field, value in payment.items() if field != "paidAt"} == {
        "id": started["payment"]["id"],
        "status": "SUCCEEDED",
        "failureCode": None,
        "failureReason": None,
        "disputeStatus": None,
        "amount": PRICE,
        "refunded": {"amountCents": 0, "currency": "EUR"},
        "job": {"id": deal.job_id, "status": "PAID"},
    }


async def test_the_same_event_delivered_again_changes_nothing_more(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    assert await stripe.deliver(succeeded) == 200
    before = await the_payment(deal)
    paid_at = (await Job.get(id=deal.job_row_id)).paid_at

    for _ in range(3):
        assert await stripe.deliver(succeeded) == 200

    after = await the_payment(deal)
    assert (after.status, after.paid_at, after.updated_at) == (
        before.status,
        before.paid_at,
        before.updated_at,
    )
    assert (await Job.get(id=deal.job_row_id)).paid_at == paid_at
    assert await WebhookEvent.filter(stripe_event_id=succeeded["id"]).count() == 1


async def test_starting_again_returns_the_same_payment_intent(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    first = await start_payment(graphql, deal)
    again = await start_payment(graphql, deal)
    assert again == first
    assert len(stripe.objects("payment_intent")) == 1
    assert await Payment.filter(job_id=deal.job_row_id).count() == 1


async def test_every_stripe_call_carries_a_key_derived_from_our_records(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await start_payment(graphql, deal)
    customer = await StripeCustomer.get(user_id=deal.client.user.id)
    posts = {r.path: r.idempotency_key for r in stripe.requests if r.method == "POST"}
    assert posts["/v1/customers"] == f"customer:{deal.client.user.id}"
    assert posts["/v1/payment_intents"] == f"job-payment:{deal.job_row_id}:5000:EUR"
    assert posts["/v1/accounts"] == f"connected-account:{deal.mentor.user.id}"
    assert customer.stripe_customer_id.startswith("cus_")


async def test_a_lost_answer_then_a_retry_charges_once(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    """Stripe made the PaymentIntent but its answer never arrived: no row claims it, and
    asking again gets that same PaymentIntent back through the idempotency key."""
    deal = await accepted_job(graphql, users, stripe)
    stripe.lose_next_answer_to.add("/v1/payment_intents")

    lost = await start_payment(graphql, deal)
    assert lost["errors"] == [UNAVAILABLE]
    assert await Payment.filter(job_id=deal.job_row_id).count() == 0

    retried = await start_payment(graphql, deal)
    assert retried["errors"] == []
    (intent,) = stripe.objects("payment_intent")
    assert retried["clientSecret"] == intent.client_secret
    assert (await the_payment(deal)).stripe_payment_intent_id == intent.id
    keys = [r.idempotency_key for r in stripe.requests if r.path == "/v1/payment_intents"]
    assert keys == [f"job-payment:{deal.job_row_id}:5000:EUR"] * 2


async def test_with_stripe_unreachable_nothing_is_half_made(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    async with stripe.stopped():
        payload = await start_payment(graphql, deal)
    assert payload == {
        "clientSecret": None,
        "payment": None,
        "errors": [UNAVAILABLE],
    }
    assert await Payment.all().count() == 0
    assert await StripeCustomer.all().count() == 0
    assert await job_status(deal) == "ACCEPTED"

    # Once Stripe is back, paying works.
    assert (await start_payment(graphql, deal))["errors"] == []


async def test_a_declined_card_leaves_the_job_payable_with_the_reason(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    with pytest.raises(stripe_lib.CardError):
        await pay(graphql, stripe, deal, card="pm_card_chargeCustomerFail")
    (failed,) = stripe.events_of("payment_intent.payment_failed")
    assert await stripe.deliver(failed) == 200

    history = await graphql.data(PAYMENTS, token=deal.client.token)
    node = history["payments"]["edges"][0]["node"]
    assert (node["status"], node["failureCode"], node["failureReason"]) == (
        "FAILED",
        "card_declined",
        "Your card was declined.",
    )
    assert await job_status(deal) == "ACCEPTED"

    # The same PaymentIntent takes a second card.
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    assert await stripe.deliver(succeeded) == 200
    payment = await the_payment(deal)
    assert (payment.status.value, payment.failure_code) == ("SUCCEEDED", None)
    assert await job_status(deal) == "PAID"


async def test_only_the_client_pays_and_only_an_accepted_job(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    stranger = await users.create("Sam Stranger")
    asked: dict[str, Any] = {"input": {"jobId": deal.job_id}}
    by_mentor = await graphql(START_JOB_PAYMENT, asked, token=deal.mentor.token)
    assert error_codes(by_mentor) == ["FORBIDDEN"]
    by_stranger = await graphql.data(START_JOB_PAYMENT, asked, token=stranger.token)
    assert [e["code"] for e in by_stranger["startJobPayment"]["errors"]] == ["NOT_FOUND"]
    anonymous = await graphql(START_JOB_PAYMENT, asked)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]

    mentor_id = await become_mentor(graphql, stranger)
    requested = await request_job(graphql, deal.client, mentor_id)
    not_accepted = await graphql.data(
        START_JOB_PAYMENT, {"input": {"jobId": requested}}, token=deal.client.token
    )
    assert not_accepted["startJobPayment"]["errors"] == [
        {
            "field": "jobId",
            "code": "CONFLICT",
            "message": "This job is not awaiting payment: it is REQUESTED.",
        }
    ]
    assert stripe.objects("payment_intent") == []


CANCEL_JOB = document("CancelJob")


async def test_cancelling_before_payment_cancels_the_intent_the_browser_holds(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    started = await start_payment(graphql, deal)
    cancelled = await graphql.data(
        CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.client.token
    )
    assert cancelled["cancelJob"] == {
        "job": {"id": deal.job_id, "status": "CANCELLED"},
        "errors": [],
    }

    intent_id = started["clientSecret"].split("_secret_")[0]
    with pytest.raises(stripe_lib.InvalidRequestError):
        await stripe.api.v1.payment_intents.confirm_async(
            intent_id, params={"payment_method": "pm_card_visa"}
        )
    history = await graphql.data(PAYMENTS, token=deal.client.token)
    node = history["payments"]["edges"][0]["node"]
    assert (node["status"], node["failureCode"], node["failureReason"]) == (
        "FAILED",
        "canceled",
        "The job was cancelled.",
    )


async def test_a_job_whose_payment_is_under_way_cannot_be_cancelled(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)  # confirmed in the browser; Stripe's event is on its way

    refused = await graphql.data(
        CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.mentor.token
    )
    assert [e["code"] for e in refused["cancelJob"]["errors"]] == ["CONFLICT"]
    assert await job_status(deal) == "ACCEPTED"
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    assert await stripe.deliver(succeeded) == 200
    assert await job_status(deal) == "PAID"


async def test_a_price_under_stripes_minimum_is_bad_input_and_nothing_is_recorded(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, monkeypatch: Any
) -> None:
    deal = await accepted_job(graphql, users, stripe, price={"amountCents": 10, "currency": "EUR"})
    create = PaymentIntent._api_create

    def with_minimum(**data: Any) -> Any:
        if int(data.get("amount", 0)) < 50:
            raise UserError(400, "Amount must be at least €0.50 eur", {"code": "amount_too_small"})
        return create(**data)

    monkeypatch.setattr(PaymentIntent, "_api_create", with_minimum)
    payload = await start_payment(graphql, deal)
    assert payload["errors"] == [
        {
            "field": "jobId",
            "code": "BAD_USER_INPUT",
            "message": "The payment provider refused this: Amount must be at least €0.50 eur",
        }
    ]
    assert await Payment.filter(job_id=deal.job_row_id).count() == 0


async def test_a_job_can_be_cancelled_once_a_slow_payment_has_failed(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    intent_id = await pay(graphql, stripe, deal)
    charge = PaymentIntent._api_retrieve(intent_id).latest_charge
    charge.status = "pending"  # the bank takes its time: the intent is processing

    refused = await graphql.data(
        CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.client.token
    )
    assert [e["code"] for e in refused["cancelJob"]["errors"]] == ["CONFLICT"]

    charge.status = "failed"  # the debit failed: the intent wants another card
    cancelled = await graphql.data(
        CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.client.token
    )
    assert cancelled["cancelJob"] == {
        "job": {"id": deal.job_id, "status": "CANCELLED"},
        "errors": [],
    }
    assert PaymentIntent._api_retrieve(intent_id).status == "canceled"


async def test_a_job_cancelled_while_its_payment_is_being_set_up_gets_no_payment(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, monkeypatch: Any
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    ensure_customer = charges.ensure_customer

    async def cancelled_meanwhile(*args: Any, **kwargs: Any) -> Any:
        cancelled = await graphql.data(
            CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.mentor.token
        )
        assert cancelled["cancelJob"]["errors"] == []
        return await ensure_customer(*args, **kwargs)

    monkeypatch.setattr(charges, "ensure_customer", cancelled_meanwhile)
    payload = await start_payment(graphql, deal)
    assert payload["clientSecret"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("jobId", "CONFLICT")]
    assert await Payment.filter(job_id=deal.job_row_id).count() == 0
    assert await job_status(deal) == "CANCELLED"


async def test_a_cancel_racing_the_payment_event_is_a_conflict_not_a_deadlock(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, monkeypatch: Any
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    settle = settlement.settle
    event_holds_its_locks = asyncio.Event()

    async def settle_slowly(payment: Any) -> None:
        event_holds_its_locks.set()
        await asyncio.sleep(0.5)  # the cancel arrives while the event holds its locks
        await settle(payment)

    monkeypatch.setattr(settlement, "settle", settle_slowly)

    async def cancel_meanwhile() -> dict[str, Any]:
        await event_holds_its_locks.wait()
        return await graphql(CANCEL_JOB, {"input": {"jobId": deal.job_id}}, token=deal.client.token)

    delivered, cancelled = await asyncio.gather(stripe.deliver(succeeded), cancel_meanwhile())
    assert delivered == 200
    assert [e["code"] for e in cancelled["data"]["cancelJob"]["errors"]] == ["CONFLICT"]
    assert await job_status(deal) == "PAID"

"""POST /webhooks/stripe: signatures on the raw body, each event once, in any order."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from aiohttp.test_utils import TestClient

from models.payments import Payment, WebhookEvent
from services.payments import events
from tests.payments.helpers import accepted_job, job_status, paid_job, pay, the_payment
from tests.support.graphql import GraphQLClient
from tests.support.stripe_server import StripeServer
from tests.support.users import UserFactory


async def test_a_bad_signature_is_refused_and_nothing_is_stored(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")

    assert await stripe.deliver(succeeded, secret="whsec_someone_else") == 400
    assert await WebhookEvent.filter(stripe_event_id=succeeded["id"]).count() == 0
    assert await job_status(deal) == "ACCEPTED"


async def test_a_stale_timestamp_is_refused(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")

    ten_minutes_ago = int(time.time()) - 600
    assert await stripe.deliver(succeeded, timestamp=ten_minutes_ago) == 400
    assert await WebhookEvent.filter(stripe_event_id=succeeded["id"]).count() == 0
    assert await job_status(deal) == "ACCEPTED"


async def test_a_timestamp_an_hour_ahead_is_refused_like_a_stale_one(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")

    for ahead in (3600, 600):
        assert await stripe.deliver(succeeded, timestamp=int(time.time()) + ahead) == 400
    assert await WebhookEvent.filter(stripe_event_id=succeeded["id"]).count() == 0
    assert await job_status(deal) == "ACCEPTED"
    # A minute ahead is a clock that runs fast, inside the tolerance.
    assert await stripe.deliver(succeeded, timestamp=int(time.time()) + 60) == 200
    assert await job_status(deal) == "PAID"


async def test_a_missing_signature_or_a_tampered_body_is_refused(
    http: TestClient[Any, Any], stripe: StripeServer
) -> None:
    event = stripe.record_event("account.updated", {"id": "acct_x", "object": "account"})
    payload = json.dumps(event)
    unsigned = await http.post("/webhooks/stripe", data=payload)
    assert unsigned.status == 400
    signature = stripe.sign(payload)
    tampered = await http.post(
        "/webhooks/stripe",
        data=payload.replace("acct_x", "acct_y"),
        headers={"Stripe-Signature": signature},
    )
    assert tampered.status == 400
    not_an_event = await http.post(
        "/webhooks/stripe", data="[]", headers={"Stripe-Signature": stripe.sign("[]")}
    )
    assert not_an_event.status == 400
    assert await WebhookEvent.all().count() == 0


async def test_an_event_delivered_many_times_at_once_is_processed_once(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")

    statuses = await asyncio.gather(*(stripe.deliver(succeeded) for _ in range(4)))

    assert statuses == [200] * 4
    (row,) = await WebhookEvent.filter(stripe_event_id=succeeded["id"])
    assert row.processed_at is not None and row.user_id == deal.client.user.id
    assert await job_status(deal) == "PAID"


async def test_an_old_failure_arriving_after_success_changes_nothing(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    intent_id = await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    failed = stripe.record_event(
        "payment_intent.payment_failed",
        {
            **succeeded["data"]["object"],
            "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "Declined earlier."},
        },
    )
    assert failed["data"]["object"]["id"] == intent_id

    assert await stripe.deliver(succeeded) == 200
    assert await stripe.deliver(failed) == 200

    payment = await the_payment(deal)
    assert (payment.status.value, payment.failure_code) == ("SUCCEEDED", None)
    assert await job_status(deal) == "PAID"


async def test_a_dispute_arriving_before_the_payment_event_is_applied_in_full(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    """The dispute proves the charge went through: the job is paid, then disputed, and the
    late success event has nothing left to do."""
    deal = await accepted_job(graphql, users, stripe)
    intent_id = await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    opened = stripe.open_dispute(intent_id)

    assert await stripe.deliver(opened) == 200
    assert (await the_payment(deal)).status.value == "DISPUTED"
    assert await job_status(deal) == "DISPUTED"

    assert await stripe.deliver(succeeded) == 200
    assert (await the_payment(deal)).status.value == "DISPUTED"
    assert await job_status(deal) == "DISPUTED"


async def test_a_dispute_closed_before_its_opening_arrives_stays_closed(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await paid_job(graphql, users, stripe)
    payment = await the_payment(deal)
    opened = stripe.open_dispute(payment.stripe_payment_intent_id)
    won = stripe.settle_dispute(opened["data"]["object"]["id"], "won")

    assert await stripe.deliver(won) == 200
    assert await stripe.deliver(opened) == 200

    payment = await the_payment(deal)
    assert (payment.status.value, payment.dispute_status) == ("SUCCEEDED", "WON")
    assert await job_status(deal) == "PAID"


async def test_money_taken_for_a_payment_we_never_recorded_is_recorded_from_the_event(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    """Stripe answered with the PaymentIntent but we failed before writing our row."""
    deal = await accepted_job(graphql, users, stripe)
    intent_id = await pay(graphql, stripe, deal)
    await Payment.filter(job_id=deal.job_row_id).delete()
    (succeeded,) = stripe.events_of("payment_intent.succeeded")

    assert await stripe.deliver(succeeded) == 200

    payment = await the_payment(deal)
    assert (payment.stripe_payment_intent_id, payment.status.value) == (intent_id, "SUCCEEDED")
    assert (payment.client_id, payment.amount_cents, payment.currency) == (
        deal.client.user.id,
        5000,
        "EUR",
    )
    assert payment.platform_fee_cents == 500
    assert await job_status(deal) == "PAID"


async def test_unknown_event_types_are_stored_and_acknowledged(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    event = stripe.record_event("customer.created", {"id": "cus_x", "object": "customer"})
    assert await stripe.deliver(event) == 200
    (row,) = await WebhookEvent.all()
    assert (row.type, row.processed_at is not None, row.user_id) == ("customer.created", True, None)


async def test_two_events_rebuilding_a_missing_payment_at_once_both_count(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    await Payment.filter(job_id=deal.job_row_id).delete()  # Stripe answered; we never recorded
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    failed_earlier = stripe.record_event(
        "payment_intent.payment_failed",
        {
            **succeeded["data"]["object"],
            "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "Declined earlier."},
        },
    )
    statuses = await asyncio.gather(stripe.deliver(failed_earlier), stripe.deliver(succeeded))
    assert statuses == [200, 200]
    assert ((await the_payment(deal)).status.value, await job_status(deal)) == (
        "SUCCEEDED",
        "PAID",
    )


async def test_a_dispute_of_a_payment_not_recorded_yet_waits_for_it(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    intent_id = await pay(graphql, stripe, deal)
    await Payment.filter(job_id=deal.job_row_id).delete()  # Stripe answered; we never recorded
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    opened = stripe.open_dispute(intent_id)

    assert await stripe.deliver(opened) == 200
    pending = await WebhookEvent.get(stripe_event_id=opened["id"])
    assert pending.processed_at is None
    assert await stripe.deliver(succeeded) == 200
    assert await job_status(deal) == "PAID"

    await events.process_pending()  # what the background sweep runs
    payment = await the_payment(deal)
    assert (payment.status.value, await job_status(deal)) == ("DISPUTED", "DISPUTED")
    assert await WebhookEvent.filter(processed_at__isnull=True).count() == 0


async def test_no_malformed_delivery_raises_into_a_bare_500(
    http: TestClient[Any, Any], stripe: StripeServer
) -> None:
    """Each answers 400 in JSON and stores nothing: a header of another shape, a body that is
    not UTF-8 or not JSON (nested past any bound), or signed JSON that is no event."""
    unsigned_headers = ["", "garbage", "t=", "t=abc,v1=00", "v1=00", "t=1,t=2", "t=1=2,v1=00"]
    sent = [(b'{"id": "evt_x"}', {"Stripe-Signature": header}) for header in unsigned_headers]
    sent.append((b"\xff\xfe", {"Stripe-Signature": stripe.sign("\ufffd")}))
    signed = ['"x"', "1", "null", "[" * 5000 + "]" * 5000, '{"id": 5, "type": "x"}']
    signed.append('{"id": "evt_x", "type": "x", "data": {"object": 1}}')
    sent += [(body.encode(), {"Stripe-Signature": stripe.sign(body)}) for body in signed]
    for body, headers in sent:
        response = await http.post("/webhooks/stripe", data=body, headers=headers)
        assert response.status == 400, (body[:40], headers)
        assert response.content_type == "application/json"
        assert "error" in await response.json()
    assert await WebhookEvent.all().count() == 0

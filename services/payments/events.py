"""Stripe's events: stored once by their id, processed once under a row lock, in any order.

The event row is the record of pending work: it is written before anything else, and marked
processed in the same transaction as the changes the event makes, so a crash in between
leaves it unprocessed for Stripe's next delivery of the same event. Each handler takes the
state from the event's own object, never from what the previous event was assumed to be. An
event about a payment whose own event has not come yet stays pending for the sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from core import clock
from core.errors import BadUserInput
from models.payments import Payment, WebhookEvent
from services.payments import customers, payouts, settlement
from services.payments.provider import id_of
from services.transactions import transaction

# A handler gets the event's object and the time Stripe created the event; it answers the
# user the event turned out to concern.
logger = logging.getLogger("mentor_api.payments")

Handler = Callable[[dict[str, Any], datetime], Awaitable[int | None]]
ObjectHandler = Callable[[dict[str, Any]], Awaitable[int | None]]

# Stripe retries an event for three days; a pending one is retried by the sweep as long.
PENDING_HORIZON = timedelta(days=3)


class PaymentNotRecordedYet(Exception):
    """The event is about a payment whose own event has not been applied yet: it stays
    pending, and the sweep applies it after that payment is recorded."""


def _whenever(handler: ObjectHandler) -> Handler:
    """For events whose effect does not depend on when they were created."""

    async def handle(obj: dict[str, Any], _created: datetime) -> int | None:
        return await handler(obj)

    return handle


async def _intent_succeeded(intent: dict[str, Any]) -> int | None:
    payment = await settlement.payment_for_intent(intent)
    if payment is None:
        return None
    settlement.record_success(payment, intent.get("latest_charge"))
    await settlement.settle(payment)
    return payment.client_id


async def _intent_failed(intent: dict[str, Any]) -> int | None:
    payment = await settlement.payment_for_intent(intent)
    if payment is None:
        return None
    settlement.record_failure(payment, intent.get("last_payment_error") or {})
    await settlement.settle(payment)
    return payment.client_id


async def _named_payment(intent_id: str | None, charge_id: str | None) -> Payment | None:
    """The payment a charge or dispute event names; pending when it names a PaymentIntent
    that has no payment here yet (its own event comes later)."""
    payment = await settlement.locked_payment(intent_id, charge_id)
    if payment is None and intent_id:
        raise PaymentNotRecordedYet(intent_id)
    return payment


async def _charge_refunded(charge: dict[str, Any]) -> int | None:
    payment = await _named_payment(id_of(charge.get("payment_intent")), charge["id"])
    if payment is None:
        return None
    settlement.record_success(payment, charge["id"])  # only a taken payment can be refunded
    settlement.record_refunded_total(payment, int(charge.get("amount_refunded") or 0))
    await settlement.settle(payment)
    return payment.client_id


async def _dispute_changed(dispute: dict[str, Any]) -> int | None:
    payment = await _named_payment(
        id_of(dispute.get("payment_intent")), id_of(dispute.get("charge"))
    )
    if payment is None:
        return None
    settlement.record_success(payment, dispute.get("charge"))  # only a taken payment is disputed
    settlement.record_dispute(payment, dispute["id"], str(dispute.get("status")))
    await settlement.settle(payment)
    return payment.client_id


HANDLERS: Mapping[str, Handler] = {
    "payment_intent.succeeded": _whenever(_intent_succeeded),
    "payment_intent.payment_failed": _whenever(_intent_failed),
    "charge.refunded": _whenever(_charge_refunded),
    "charge.dispute.created": _whenever(_dispute_changed),
    "charge.dispute.updated": _whenever(_dispute_changed),
    "charge.dispute.closed": _whenever(_dispute_changed),
    "account.updated": payouts.record_account_state,
    "payment_method.attached": _whenever(customers.record_card),
    "payment_method.updated": _whenever(customers.record_card),
    "payment_method.automatically_updated": _whenever(customers.record_card),
    "payment_method.detached": _whenever(customers.forget_card),
}


def _checked(event: Any) -> dict[str, Any]:
    """An event we can store: an id, a type and the object it is about."""
    valid = (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )
    if not valid:
        raise BadUserInput("Not a Stripe event.")
    return event


async def receive(event: Any) -> None:
    """Store the event (once, whatever the number of deliveries), then process it."""
    event = _checked(event)
    row, _ = await WebhookEvent.get_or_create(
        stripe_event_id=event["id"][:255],
        defaults={"type": event["type"][:100], "payload": event},
    )
    await process(row.id)


async def process(row_id: int) -> bool:
    """Apply one stored event exactly once: concurrent deliveries wait on the row's lock and
    then find it processed. False when it must wait for another event (it stays pending)."""
    try:
        async with transaction():
            row = await WebhookEvent.filter(id=row_id).select_for_update().get()
            if row.processed_at is not None:
                return True
            handler = HANDLERS.get(row.type)
            if handler is not None:
                payload: Any = row.payload
                created = datetime.fromtimestamp(int(payload.get("created") or 0), UTC)
                row.user_id = await handler(payload["data"]["object"], created)
            row.processed_at = clock.now()
            await row.save(update_fields=["user_id", "processed_at"])
    except PaymentNotRecordedYet:
        return False
    return True


async def process_pending() -> int:
    """The sweep's part: apply the events still pending from Stripe's retry horizon, oldest
    first. Returns how many it applied."""
    since = clock.now() - PENDING_HORIZON
    pending = await WebhookEvent.filter(processed_at__isnull=True, received_at__gte=since).order_by(
        "id"
    )
    applied = 0
    for row in pending:
        try:
            applied += await process(row.id)
        except Exception as error:  # one failing event must not hold back the ones after it
            logger.error("pending Stripe event %s failed: %s", row.id, type(error).__name__)
    return applied

"""How Stripe's facts about a payment change the payment and its job.

Each fact only moves forward (paid stays paid, the refunded total only grows, a closed dispute
does not reopen); the status and the job's next step come from the tables of
``services.payments.states``, so Stripe's events give the same end state in whatever order
they arrive.
"""

from __future__ import annotations

import logging
from typing import Any

from tortoise.exceptions import IntegrityError

from core import clock
from core.errors import Conflict
from models.marketplace import Job, JobStatus
from models.notifications import NotificationKind
from models.payments import DisputeStatus, Payment, PaymentStatus
from services import jobs
from services.notifications.emit import notify
from services.payments import states
from services.payments.provider import id_of
from services.transactions import transaction

logger = logging.getLogger("mentor_api.payments")

# Stripe's dispute statuses, by what they mean for the payment.
DISPUTE_OUTCOMES = {
    "warning_needs_response": DisputeStatus.OPEN,
    "warning_under_review": DisputeStatus.OPEN,
    "needs_response": DisputeStatus.OPEN,
    "under_review": DisputeStatus.OPEN,
    "won": DisputeStatus.WON,
    "warning_closed": DisputeStatus.WON,
    "prevented": DisputeStatus.WON,
    "lost": DisputeStatus.LOST,
}
CLOSED_DISPUTES = frozenset({DisputeStatus.WON, DisputeStatus.LOST})
# Stripe's word for a cancelled PaymentIntent, kept as the failure code of a payment whose job
# was cancelled before the money was taken: it shows FAILED with this code, and stays so.
CANCELED_CODE = "canceled"


async def locked_payment(intent_id: str | None, charge_id: str | None = None) -> Payment | None:
    """The payment Stripe names, locked for the rest of the transaction.

    Its job is locked first: every path that changes both (cancelJob, startJobPayment, these
    events) takes the job's lock before the payment's, so none can deadlock another.
    """
    found = None
    if intent_id:
        found = await Payment.filter(stripe_payment_intent_id=intent_id).first()
    if found is None and charge_id:
        found = await Payment.filter(stripe_charge_id=charge_id).first()
    if found is None:
        return None
    await Job.filter(id=found.job_id).select_for_update().first()
    return await Payment.filter(id=found.id).select_for_update().first()


async def payment_for_intent(intent: dict[str, Any]) -> Payment | None:
    """The payment of a PaymentIntent; recreated from the intent if our row was never written
    (Stripe answered but we failed before recording), so money taken is never unaccounted."""
    found = await locked_payment(intent.get("id"))
    if found is not None:
        return found
    metadata = intent.get("metadata") or {}
    job_id = str(metadata.get("job_id", ""))
    job = await Job.get_or_none(id=int(job_id)) if job_id.isdigit() else None
    if job is None or str(job.client_id) != str(metadata.get("client_id")):
        return None
    try:
        async with transaction():  # a savepoint: a failed insert must not end the caller's
            await Payment.create(
                job_id=job.id,
                client_id=job.client_id,
                amount_cents=int(intent["amount"]),
                currency=str(intent["currency"]).upper(),
                platform_fee_cents=int(intent.get("application_fee_amount") or 0),
                stripe_payment_intent_id=intent["id"],
            )
    except IntegrityError:
        # Another event of the same intent rebuilt it first; any other row is a real conflict.
        rebuilt = await locked_payment(intent["id"])
        if rebuilt is None:
            logger.error("PaymentIntent of job %s conflicts with a recorded payment", job.id)
        return rebuilt
    return await locked_payment(intent["id"])


def record_success(payment: Payment, charge: Any) -> None:
    if payment.paid_at is None:
        payment.paid_at = clock.now()
        payment.failure_code = None
        payment.failure_reason = None
    payment.stripe_charge_id = payment.stripe_charge_id or id_of(charge)


def record_failure(payment: Payment, error: dict[str, Any]) -> None:
    """A declined attempt leaves the job payable; an older failure never undoes a payment."""
    if payment.paid_at is not None or payment.failure_code == CANCELED_CODE:
        return
    payment.failure_code = str(error.get("decline_code") or error.get("code") or "failed")[:64]
    payment.failure_reason = str(error.get("message") or "The payment failed.")[:255]


def record_cancellation(payment: Payment) -> None:
    """The job was cancelled and Stripe cancelled its PaymentIntent: nothing can be taken."""
    record_failure(payment, {"code": CANCELED_CODE, "message": "The job was cancelled."})


def record_refunded_total(payment: Payment, refunded_cents: int) -> None:
    """Stripe's refunded total; one that grew is the outcome of the refund last asked."""
    if refunded_cents > payment.refunded_cents:
        payment.refund_asked_at = None
    payment.refunded_cents = max(payment.refunded_cents, min(refunded_cents, payment.amount_cents))


def record_dispute(payment: Payment, dispute_id: str, stripe_status: str) -> None:
    outcome = DISPUTE_OUTCOMES.get(stripe_status)
    if outcome is None:
        return
    if (
        payment.dispute_status in CLOSED_DISPUTES
        and payment.stripe_dispute_id == dispute_id
        and outcome is DisputeStatus.OPEN
    ):
        return  # an older event of a dispute that has already closed
    payment.dispute_status = outcome
    payment.stripe_dispute_id = dispute_id


async def settle(payment: Payment) -> None:
    """Save the facts with the status they imply, tell the client of a refund or a dispute,
    then bring the job in line."""
    stored = await Payment.get(id=payment.id)
    payment.status = states.status_of(payment)
    await payment.save()
    await _tell_client(stored, payment)
    await _sync_job(payment)


async def _tell_client(before: Payment, after: Payment) -> None:
    """A refund or a dispute is the client's news (P10); the job's own steps tell both."""
    told: list[NotificationKind] = []
    if after.refunded_cents > before.refunded_cents:
        told.append(NotificationKind.PAYMENT_REFUNDED)
    if (
        after.dispute_status is DisputeStatus.OPEN
        and before.dispute_status is not DisputeStatus.OPEN
    ):
        told.append(NotificationKind.PAYMENT_DISPUTED)
    if not told:
        return
    job = await Job.get(id=after.job_id)
    for kind in told:
        await notify(kind, [after.client_id], job=job, payment=after)


async def _sync_job(payment: Payment) -> None:
    job = await Job.get(id=payment.job_id)
    while (action := states.JOB_FOLLOWS_PAYMENT.get((payment.status, job.status))) is not None:
        try:
            job = await jobs.transition(job.id, action, jobs.SYSTEM)
        except Conflict:
            logger.error("job %s could not %s after its payment changed", job.id, action.value)
            return
    if payment.status is PaymentStatus.SUCCEEDED and job.status in (
        JobStatus.CANCELLED,
        JobStatus.DECLINED,
    ):
        # The client paid a job that had closed meanwhile: staff must refund it.
        logger.error("payment %s succeeded for closed job %s", payment.id, job.id)

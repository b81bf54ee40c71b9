"""Job payments: the PaymentIntent of an accepted job, refunds by staff, billing history.

A payment row is written only after Stripe has answered with its PaymentIntent, so a failed
call leaves nothing behind; the idempotency key comes from the job, so calling again (after a
lost answer, or twice at once) returns the same PaymentIntent instead of charging twice.
"""

from __future__ import annotations

from enum import StrEnum

import stripe
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from core import clock
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from core.runtime import Runtime
from models.accounts import StaffPermission, User
from models.audit import AuditAction
from models.marketplace import Job, JobStatus
from models.payments import ConnectedAccount, Payment
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.money import Amount, in_currency
from services.payments import settlement
from services.payments.customers import ensure_customer
from services.payments.provider import id_of, stripe_errors
from services.payments.states import ALLOWED_IN, PaymentAction
from services.transactions import transaction


class RefundReason(StrEnum):
    """Stripe's refund reasons."""

    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


async def _payable_job(client: User, job_id: int) -> Job:
    job = await Access.of(client).visible(Job).filter(id=job_id).get_or_none()
    if job is None:
        raise NotFound("No such job.", field="jobId")
    if job.client_id != client.id:
        raise Forbidden("Only the client of this job can pay for it.")
    if job.status is not JobStatus.ACCEPTED:
        raise Conflict(
            f"This job is not awaiting payment: it is {job.status.value}.", field="jobId"
        )
    return job


async def start_job_payment(runtime: Runtime, client: User, job_id: int) -> tuple[Payment, str]:
    """The job's payment and the client secret the browser confirms it with."""
    job = await _payable_job(client, job_id)
    stripe_client = runtime.payments.stripe
    existing = await Payment.get_or_none(job_id=job.id)
    if existing is not None:
        with stripe_errors():
            intent = await stripe_client.v1.payment_intents.retrieve_async(
                existing.stripe_payment_intent_id
            )
        assert intent.client_secret is not None
        return existing, intent.client_secret
    account = await ConnectedAccount.get_or_none(user_id=job.mentor_id)
    if account is None or not account.payout_ready:
        raise Conflict("The mentor cannot receive payments yet.", field="jobId")
    assert job.price_cents is not None and job.currency is not None
    customer = await ensure_customer(runtime, client)
    fee = runtime.payments.platform_fee(job.price_cents)
    with stripe_errors(field="jobId"):
        intent = await stripe_client.v1.payment_intents.create_async(
            params={
                "amount": job.price_cents,
                "currency": job.currency.lower(),
                "customer": customer.stripe_customer_id,
                "metadata": {"job_id": str(job.id), "client_id": str(job.client_id)},
                "transfer_data": {"destination": account.stripe_account_id},
                "application_fee_amount": fee,
            },
            options={"idempotency_key": f"job-payment:{job.id}:{job.price_cents}:{job.currency}"},
        )
    assert intent.client_secret is not None
    try:
        async with transaction():
            # Under the job's lock, as cancel_job: a job cancelled meanwhile gets no payment,
            # and its intent's secret never leaves here, so nobody can confirm it.
            locked = await Job.filter(id=job.id).select_for_update().get()
            if locked.status is not JobStatus.ACCEPTED:
                raise Conflict(
                    f"This job is not awaiting payment: it is {locked.status.value}.",
                    field="jobId",
                )
            payment = await Payment.create(
                job_id=job.id,
                client_id=job.client_id,
                amount_cents=job.price_cents,
                currency=job.currency,
                platform_fee_cents=fee,
                stripe_payment_intent_id=intent.id,
            )
    except IntegrityError:  # a concurrent call (same key, same intent) recorded it first
        payment = await Payment.get(job_id=job.id)
    return payment, intent.client_secret


# PaymentIntent statuses in which the money is taken or being taken: too late to cancel.
TAKING_MONEY = frozenset({"processing", "requires_capture", "succeeded"})


class IntentCancellation:
    """Cancelling a job cancels the PaymentIntent the client could still confirm with the
    secret their browser holds (the hook ``jobs.cancel_job`` calls).

    The intent is cancelled at Stripe before any lock is taken (a cancelled intent can never be
    paid, and no row waits on Stripe meanwhile); then, under the job's lock, which
    ``start_job_payment`` also takes before recording a payment, the payment is recorded as
    cancelled. A payment started in between is refused there or found here. If Stripe is
    already taking the money, nothing changes and the answer is CONFLICT.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    async def before(self, job: Job) -> Payment | None:
        seen = await Payment.get_or_none(job_id=job.id)
        if seen is not None and seen.status in ALLOWED_IN[PaymentAction.CANCEL]:
            await _cancel_intent(self._runtime, seen)
        return seen

    async def under_lock(self, job: Job, seen: Payment | None) -> None:
        payment = await Payment.filter(job_id=job.id).select_for_update().first()
        if payment is None or payment.status not in ALLOWED_IN[PaymentAction.CANCEL]:
            return
        if seen is None or seen.id != payment.id:
            raise Conflict("A payment for this job was started just now; cancel again.", field="id")
        settlement.record_cancellation(payment)
        await settlement.settle(payment)


async def _cancel_intent(runtime: Runtime, payment: Payment) -> None:
    """Cancel the payment's PaymentIntent at Stripe, or raise CONFLICT when the money is
    already being taken. The key names the intent's latest attempt at a charge, so a cancel
    refused while a charge was under way is not replayed once that charge has failed."""
    intents = runtime.payments.stripe.v1.payment_intents
    intent_id = payment.stripe_payment_intent_id
    with stripe_errors(field="id"):
        intent = await intents.retrieve_async(intent_id)
        if intent.status != "canceled":
            _refuse_if_taking_money(intent.status)
            attempt = id_of(intent.latest_charge) or "none"
            try:
                await intents.cancel_async(
                    intent_id,
                    options={"idempotency_key": f"cancel-payment:{payment.id}:{attempt}"},
                )
            except stripe.InvalidRequestError:
                # Refused: the client confirmed at this very moment, or the intent is gone.
                _refuse_if_taking_money((await intents.retrieve_async(intent_id)).status)
                raise


def _refuse_if_taking_money(intent_status: str | None) -> None:
    if intent_status in TAKING_MONEY:
        raise Conflict(
            "The client's payment for this job is already under way; the job can no longer "
            "be cancelled.",
            field="id",
        )


async def refund_payment(
    runtime: Runtime,
    staff: User,
    payment_id: int,
    *,
    amount: Amount | None,
    reason: RefundReason,
    client: ClientInfo,
) -> Payment:
    """Give money back, all of what remains or part of it. Audited.

    The idempotency key counts this payment's refund requests, and the count moves on only
    once Stripe has answered, so a retry after a lost answer (or a second click) repeats the
    same request and Stripe refunds once; a retry with another amount meanwhile is a conflict.
    The refunded total is read back from the charge, which counts every refund exactly once.
    """
    payment = await Access.of(staff).visible(Payment).filter(id=payment_id).get_or_none()
    if payment is None:
        raise NotFound("No such payment.", field="paymentId")
    if payment.status not in ALLOWED_IN[PaymentAction.REFUND]:
        raise Conflict(
            f"Only a paid payment can be refunded: this one is {payment.status.value}.",
            field="paymentId",
        )
    refundable = payment.amount_cents - payment.refunded_cents
    cents = refundable if amount is None else in_currency(amount, payment.currency, field="amount")
    if not 0 < cents <= refundable:
        raise BadUserInput(
            f"The refund must be between 1 and {refundable} minor units of {payment.currency}.",
            field="amount",
        )
    request = payment.refund_requests
    provider = runtime.payments.stripe
    # Until Stripe's answer is recorded the refund is unsettled (a lost answer waits for
    # Stripe's event), and the client's account cannot be deleted meanwhile.
    await Payment.filter(id=payment.id).update(refund_asked_at=clock.now())
    with stripe_errors(field="amount"):
        try:
            refund = await provider.v1.refunds.create_async(
                params={
                    "payment_intent": payment.stripe_payment_intent_id,
                    "amount": cents,
                    "reason": reason.value,
                    "reverse_transfer": True,
                    "refund_application_fee": True,
                    "metadata": {"payment_id": str(payment.id)},
                },
                options={"idempotency_key": f"refund:{payment.id}:{request}"},
            )
        except stripe.InvalidRequestError:
            # Refused: no money moved, and the next request must not replay this answer.
            await Payment.filter(id=payment.id, refund_requests=request).update(
                refund_requests=request + 1
            )
            await Payment.filter(id=payment.id).update(refund_asked_at=None)
            raise
        charge_id = id_of(refund.charge)
        assert charge_id is not None
        charge = await provider.v1.charges.retrieve_async(charge_id)
    async with transaction():
        locked = await settlement.locked_payment(payment.stripe_payment_intent_id)
        assert locked is not None
        settlement.record_success(locked, charge.id)
        settlement.record_refunded_total(locked, charge.amount_refunded)
        locked.refund_requests = max(locked.refund_requests, request + 1)
        locked.refund_asked_at = None
        await settlement.settle(locked)
        await audit.record(
            AuditAction.PAYMENT_REFUNDED,
            actor_id=staff.id,
            subject_id=payment.client_id,
            detail={"payment_id": payment.id, "reason": reason.value},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return locked


async def billing_history(
    access: Access, actor: User, user_id: int | None, client: ClientInfo
) -> QuerySet[Payment]:
    """A user's payments, newest first: the actor's own, or anyone's for MANAGE_PAYMENTS staff.

    Policy: "we answer queries about your account for billing and administration" — each
    staff lookup of someone else's billing is audited (P13).
    """
    subject_id = actor.id if user_id is None else user_id
    if subject_id != actor.id:
        access.viewer.require_permission(StaffPermission.MANAGE_PAYMENTS)
        await audit.record(
            AuditAction.BILLING_LOOKUP,
            actor_id=actor.id,
            subject_id=subject_id,
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return access.visible(Payment).filter(client_id=subject_id).order_by("-created_at", "-id")

"""A payment's states as declared tables, in the style of the job table.

Stripe's facts about a payment only move forward (paid stays paid, the refunded total only
grows, a closed dispute does not reopen), and its status is read off those facts by the first
row of ``STATUS_FROM_FACTS`` that holds, so events give the same status in whatever order
they arrive. The job then follows its payment through ``JOB_FOLLOWS_PAYMENT``, one SYSTEM
transition of the job table at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from models.marketplace import JobStatus
from models.payments import DisputeStatus, Payment, PaymentStatus
from services.jobs import JobAction


def _dispute_open(payment: Payment) -> bool:
    return payment.dispute_status is DisputeStatus.OPEN


def _dispute_lost(payment: Payment) -> bool:
    return payment.dispute_status is DisputeStatus.LOST


def _fully_refunded(payment: Payment) -> bool:
    return payment.paid_at is not None and payment.refunded_cents >= payment.amount_cents


def _partly_refunded(payment: Payment) -> bool:
    return payment.paid_at is not None and payment.refunded_cents > 0


def _paid(payment: Payment) -> bool:
    return payment.paid_at is not None


def _declined(payment: Payment) -> bool:
    return bool(payment.failure_code)


def _started(payment: Payment) -> bool:
    return True


S = PaymentStatus
STATUS_FROM_FACTS: tuple[tuple[Callable[[Payment], bool], PaymentStatus], ...] = (
    (_dispute_open, S.DISPUTED),
    (_dispute_lost, S.DISPUTE_LOST),
    (_fully_refunded, S.REFUNDED),
    (_partly_refunded, S.PARTIALLY_REFUNDED),
    (_paid, S.SUCCEEDED),
    (_declined, S.FAILED),
    (_started, S.PENDING),
)


def status_of(payment: Payment) -> PaymentStatus:
    return next(status for holds, status in STATUS_FROM_FACTS if holds(payment))


class PaymentAction(StrEnum):
    """What people do to a payment, as opposed to what Stripe reports about it."""

    CONFIRM = "confirm"  # the client pays with the intent's secret
    CANCEL = "cancel"  # its job is cancelled before the money is taken
    REFUND = "refund"  # staff give money back


# The statuses in which each action may happen.
ALLOWED_IN: dict[PaymentAction, frozenset[PaymentStatus]] = {
    # An intent not yet paid (or declined, and so open to another try).
    PaymentAction.CONFIRM: frozenset({S.PENDING, S.FAILED}),
    PaymentAction.CANCEL: frozenset({S.PENDING, S.FAILED}),
    PaymentAction.REFUND: frozenset({S.SUCCEEDED, S.PARTIALLY_REFUNDED}),
}

J, A = JobStatus, JobAction
# What the job does next, given its payment's status and its own; no row: nothing. A dispute,
# even one already lost, passes the job through DISPUTED, so the end state does not depend on
# whether its opening or its closing event came first.
JOB_FOLLOWS_PAYMENT: dict[tuple[PaymentStatus, JobStatus], JobAction] = {
    **{
        (paid, J.ACCEPTED): A.MARK_PAID
        for paid in (S.SUCCEEDED, S.PARTIALLY_REFUNDED, S.REFUNDED, S.DISPUTED, S.DISPUTE_LOST)
    },
    # A dispute closed in the mentor's favour, the money still (mostly) with them.
    (S.SUCCEEDED, J.DISPUTED): A.RESOLVE_DISPUTE,
    (S.PARTIALLY_REFUNDED, J.DISPUTED): A.RESOLVE_DISPUTE,
    # All the money went back to the client: the job ends, unless it was already completed.
    (S.REFUNDED, J.PAID): A.REFUND,
    (S.REFUNDED, J.DELIVERED): A.REFUND,
    (S.REFUNDED, J.DISPUTED): A.REFUND,
    **{(S.DISPUTED, job): A.OPEN_DISPUTE for job in (J.PAID, J.DELIVERED, J.COMPLETED)},
    **{(S.DISPUTE_LOST, job): A.OPEN_DISPUTE for job in (J.PAID, J.DELIVERED, J.COMPLETED)},
    (S.DISPUTE_LOST, J.DISPUTED): A.REFUND,
}

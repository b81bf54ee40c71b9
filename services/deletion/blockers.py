"""What stops an account from being deleted (P24): pending jobs and payments, open disputes,
unsettled refunds, a legal hold. Each is a structured reason naming its object."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q

from core.errors import DomainError, ErrorCode
from models.deletion import LegalHold
from models.marketplace import CLOSED_JOB_STATUSES, Job
from models.payments import DisputeStatus, Payment, PaymentStatus


class BlockerKind(StrEnum):
    PENDING_JOB = "PENDING_JOB"
    PENDING_PAYMENT = "PENDING_PAYMENT"
    OPEN_DISPUTE = "OPEN_DISPUTE"
    UNSETTLED_REFUND = "UNSETTLED_REFUND"
    LEGAL_HOLD = "LEGAL_HOLD"


@dataclass(frozen=True)
class Blocker:
    """One reason, with the job or payment it is about (a legal hold names nothing: what the
    law asked is not the person's to read)."""

    kind: BlockerKind
    job_id: int | None = None
    payment_id: int | None = None


class DeletionBlocked(DomainError):
    code = ErrorCode.DELETION_BLOCKED

    def __init__(
        self, blockers: list[Blocker], refused: str = "This account cannot be deleted"
    ) -> None:
        kinds = ", ".join(sorted({blocker.kind.value for blocker in blockers}))
        super().__init__(f"{refused} while these remain: {kinds}.")
        self.blockers = blockers


async def blockers_of(user_id: int) -> list[Blocker]:
    """Every reason the account cannot be deleted now, jobs and payments on either side."""
    found = await pending_jobs(Q(client_id=user_id) | Q(mentor_id=user_id))
    payments = await Payment.filter(Q(client_id=user_id) | Q(job__mentor_id=user_id)).order_by("id")
    for payment in payments:
        if payment.status is PaymentStatus.PENDING:
            found.append(Blocker(BlockerKind.PENDING_PAYMENT, payment.job_id, payment.id))
        if payment.dispute_status is DisputeStatus.OPEN:
            found.append(Blocker(BlockerKind.OPEN_DISPUTE, payment.job_id, payment.id))
        if payment.refund_asked_at is not None:
            found.append(Blocker(BlockerKind.UNSETTLED_REFUND, payment.job_id, payment.id))
    if await held(user_id):
        found.append(Blocker(BlockerKind.LEGAL_HOLD))
    return found


async def pending_jobs(parties: Q) -> list[Blocker]:
    """The pending jobs among ``parties``: every status but the closed ones."""
    pending = Job.filter(parties).exclude(status__in=list(CLOSED_JOB_STATUSES)).order_by("id")
    job_ids: list[int] = await pending.values_list("id", flat=True)  # type: ignore[assignment]
    return [Blocker(BlockerKind.PENDING_JOB, job_id) for job_id in job_ids]


async def held(user_id: int) -> bool:
    return await LegalHold.exists(user_id=user_id, released_at__isnull=True)

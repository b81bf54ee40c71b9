"""Jobs: one state machine, written as a table of transitions with the role allowed to make each.

Every status change is planned against the table (the one check of who may do what, when) and
made under the job's row lock, so two concurrent transitions on one job cannot both succeed.
Payments drive the SYSTEM transitions (paid, disputes, refunds) through ``transition`` too, and
cancelling a job lets payments make its payment unpayable first (``CancellationHook``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol, TypeVar

from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from models.accounts import User
from models.marketplace import Job, JobStatus, MentorProfile
from models.notifications import NotificationKind
from models.payments import ConnectedAccount
from services.access.decisions import Access
from services.money import checked_amount, checked_currency
from services.notifications.emit import notify
from services.transactions import transaction


class JobRole(StrEnum):
    CLIENT = "CLIENT"
    MENTOR = "MENTOR"
    SYSTEM = "SYSTEM"


class JobAction(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    CANCEL = "cancel"
    MARK_PAID = "mark_paid"
    DELIVER = "deliver"
    COMPLETE = "complete"
    OPEN_DISPUTE = "open_dispute"
    # The dispute closed in the mentor's favour: the job returns to where the dispute found it.
    RESOLVE_DISPUTE = "resolve_dispute"
    # The money went back to the client (staff refund or a lost dispute): the job ends.
    REFUND = "refund"


class SystemActor:
    """The platform itself acting (payment webhooks, staff tools), not a party of the job."""


SYSTEM: Final = SystemActor()
Actor = User | SystemActor

# Target of RESOLVE_DISPUTE: the status the job had when the dispute opened.
RESTORE: Final = "RESTORE"

S, A, R = JobStatus, JobAction, JobRole
TRANSITIONS: dict[tuple[JobStatus, JobAction, JobRole], JobStatus | str] = {
    (S.REQUESTED, A.ACCEPT, R.MENTOR): S.ACCEPTED,
    (S.REQUESTED, A.DECLINE, R.MENTOR): S.DECLINED,
    (S.REQUESTED, A.CANCEL, R.CLIENT): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL, R.CLIENT): S.CANCELLED,
    (S.ACCEPTED, A.CANCEL, R.MENTOR): S.CANCELLED,
    (S.ACCEPTED, A.MARK_PAID, R.SYSTEM): S.PAID,
    (S.PAID, A.DELIVER, R.MENTOR): S.DELIVERED,
    (S.DELIVERED, A.COMPLETE, R.CLIENT): S.COMPLETED,
    (S.PAID, A.OPEN_DISPUTE, R.SYSTEM): S.DISPUTED,
    (S.DELIVERED, A.OPEN_DISPUTE, R.SYSTEM): S.DISPUTED,
    (S.COMPLETED, A.OPEN_DISPUTE, R.SYSTEM): S.DISPUTED,
    (S.DISPUTED, A.RESOLVE_DISPUTE, R.SYSTEM): RESTORE,
    (S.PAID, A.REFUND, R.SYSTEM): S.CANCELLED,
    (S.DELIVERED, A.REFUND, R.SYSTEM): S.CANCELLED,
    (S.DISPUTED, A.REFUND, R.SYSTEM): S.CANCELLED,
}

_VERBS = {
    A.ACCEPT: "accept",
    A.DECLINE: "decline",
    A.CANCEL: "cancel",
    A.MARK_PAID: "mark as paid",
    A.DELIVER: "deliver",
    A.COMPLETE: "complete",
    A.OPEN_DISPUTE: "dispute",
    A.RESOLVE_DISPUTE: "resolve the dispute of",
    A.REFUND: "refund",
}


@dataclass(frozen=True)
class Price:
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class Move:
    """A transition the table allows: from ``source`` by ``action`` of ``role`` to ``target``."""

    source: JobStatus
    action: JobAction
    role: JobRole
    target: JobStatus | str


# What each move tells the parties (P10); a dispute opening or closing is told by its payment.
NOTIFIED: dict[JobAction, NotificationKind] = {
    A.ACCEPT: NotificationKind.JOB_ACCEPTED,
    A.DECLINE: NotificationKind.JOB_DECLINED,
    A.CANCEL: NotificationKind.JOB_CANCELLED,
    A.MARK_PAID: NotificationKind.JOB_PAID,
    A.DELIVER: NotificationKind.JOB_DELIVERED,
    A.COMPLETE: NotificationKind.JOB_COMPLETED,
    A.REFUND: NotificationKind.JOB_CANCELLED,
}


def role_of(job: Job, actor: Actor) -> JobRole | None:
    if isinstance(actor, SystemActor):
        return JobRole.SYSTEM
    if actor.id == job.client_id:
        return JobRole.CLIENT
    if actor.id == job.mentor_id:
        return JobRole.MENTOR
    return None


def plan(job: Job, action: JobAction, actor: Actor) -> Move:
    """The move the table allows, or the error that names why not: wrong actor, then wrong
    state."""
    role = role_of(job, actor)
    allowed_roles = {r for (_, a, r) in TRANSITIONS if a == action}
    state = job.status.value
    verb = _VERBS[action]
    if role is None or role not in allowed_roles:
        who = " or ".join(sorted(r.value.lower() for r in allowed_roles))
        raise Forbidden(f"Only the {who} can {verb} this job (it is {state}).")
    target = TRANSITIONS.get((job.status, action, role))
    if target is None:
        raise Conflict(f"Cannot {verb} this job: it is {state}.", field="id")
    return Move(job.status, action, role, target)


def _apply(job: Job, move: Move, price: Price | None) -> None:
    moment = clock.now()
    if move.target == RESTORE:
        job.status = job.status_before_dispute or JobStatus.PAID
        job.status_before_dispute = None
        return
    assert isinstance(move.target, JobStatus)
    if move.action is JobAction.OPEN_DISPUTE:
        job.status_before_dispute = job.status
    if move.action is JobAction.ACCEPT:
        if price is None:
            raise BadUserInput("Accepting a job needs a price.", field="price")
        job.price_cents = price.amount_cents
        job.currency = price.currency
        job.accepted_at = moment
    elif move.action is JobAction.MARK_PAID:
        job.paid_at = moment
    elif move.action is JobAction.DELIVER:
        job.delivered_at = moment
    if move.target in (JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED):
        job.closed_at = moment
    job.status = move.target


def _may_open(job: Job, actor: Actor) -> bool:
    return isinstance(actor, SystemActor) or bool(Access.of(actor).row_now(job))


async def _opened(job_id: int, actor: Actor, *, lock: bool) -> Job:
    """The job, if the actor may see it; NOT_FOUND exactly as for a job that does not exist."""
    query = Job.filter(id=job_id)
    job = await (query.select_for_update() if lock else query).get_or_none()
    if job is None or not _may_open(job, actor):
        raise NotFound("No such job.", field="id")
    return job


async def _require_payout_ready(mentor_id: int) -> None:
    """Paid work needs somewhere to pay: the mentor's payout account, enabled by Stripe."""
    account = await ConnectedAccount.get_or_none(user_id=mentor_id)
    if account is None or not account.payout_ready:
        raise Conflict(
            "Set up payouts first (startPayoutOnboarding): paid jobs need a payout account "
            "that Stripe has enabled."
        )


def _told(job: Job, role: JobRole) -> list[int]:
    """Who hears of a move: the other party, or both when the platform made it."""
    if role is JobRole.CLIENT:
        return [job.mentor_id]
    if role is JobRole.MENTOR:
        return [job.client_id]
    return [job.client_id, job.mentor_id]


async def _make(job: Job, move: Move, price: Price | None) -> None:
    if move.action is JobAction.ACCEPT:
        await _require_payout_ready(job.mentor_id)
    _apply(job, move, price)
    await job.save()
    kind = NOTIFIED.get(move.action)
    if kind is not None:
        await notify(kind, _told(job, move.role), job=job)


async def transition(
    job_id: int, action: JobAction, actor: Actor, *, price: Price | None = None
) -> Job:
    """Move one job along the table, under a row lock, or raise and change nothing."""
    async with transaction():
        job = await _opened(job_id, actor, lock=True)
        await _make(job, plan(job, action, actor), price)
    return job


Seen = TypeVar("Seen")


class CancellationHook(Protocol[Seen]):
    """What must happen elsewhere when a job is cancelled (payments cancel its intent)."""

    async def before(self, job: Job) -> Seen:
        """Outside any lock, once the cancellation is allowed; raise to refuse it."""

    async def under_lock(self, job: Job, seen: Seen) -> None:
        """In the cancelling transaction, with the job locked and already CANCELLED."""


async def cancel_job(actor: User, job_id: int, hook: CancellationHook[Seen]) -> Job:
    """Cancel a job where the table allows it. The check runs before the hook's first step, so
    nothing elsewhere changes for a refused cancellation; under the lock it runs again only
    if the job moved meanwhile."""
    job = await _opened(job_id, actor, lock=False)
    move = plan(job, JobAction.CANCEL, actor)
    seen = await hook.before(job)
    async with transaction():
        job = await _opened(job_id, actor, lock=True)
        if job.status is not move.source:
            move = plan(job, JobAction.CANCEL, actor)
        await _make(job, move, None)
        await hook.under_lock(job, seen)
    return job


def checked_price(amount_cents: int, currency: str) -> Price:
    return Price(
        checked_amount(amount_cents, field="price"),
        checked_currency(currency, field="currency"),
    )


async def request_job(client: User, mentor_profile_id: int, description: str) -> Job:
    """A client asks a mentor for help; the mentor answers with accept (and a price) or decline."""
    mentors = Access.of(client).visible(MentorProfile)
    profile = await mentors.filter(id=mentor_profile_id).get_or_none()
    if profile is None:
        raise NotFound("No such mentor.", field="mentorId")
    if profile.user_id == client.id:
        raise BadUserInput("You cannot hire yourself.", field="mentorId")
    text = description.strip()
    if not text or len(text) > limits.MAX_JOB_DESCRIPTION_LENGTH:
        raise BadUserInput(
            f"Describe what you need in 1 to {limits.MAX_JOB_DESCRIPTION_LENGTH} characters.",
            field="description",
        )
    async with transaction():
        job = await Job.create(client_id=client.id, mentor_id=profile.user_id, description=text)
        await notify(NotificationKind.JOB_REQUESTED, [job.mentor_id], job=job)
    return job


def jobs_of(access: Access, role: JobRole, statuses: Sequence[JobStatus] = ()) -> QuerySet[Job]:
    """The viewer's jobs as client or as mentor, newest first."""
    column = "client_id" if role is JobRole.CLIENT else "mentor_id"
    query = access.visible(Job).filter(**{column: access.viewer.user_id})
    if statuses:
        query = query.filter(status__in=list(statuses))
    return query.order_by("-created_at", "-id")

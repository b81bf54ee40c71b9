"""Jobs: one state machine, written as a table of transitions with the role allowed to make each.

Every status change goes through ``transition``, which locks the job's row for the length of
its transaction, so two concurrent transitions on one job cannot both succeed. Payments drive
the SYSTEM transitions (paid, disputes, refunds) through the same function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import clock, limits
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from models.accounts import StaffPermission, User
from models.marketplace import Job, JobStatus, MentorProfile
from services.money import checked_amount, checked_currency
from services.payments.payouts import require_payout_ready
from services.personal_data import Audience
from services.viewer import Viewer
from services.visibility import RelationshipCheck, register_relationship

# Staff who may open any job (fields inside still follow the registry).
JOB_STAFF = (StaffPermission.MANAGE_PAYMENTS, StaffPermission.MODERATE_CONTENT)


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


def role_of(job: Job, actor: Actor) -> JobRole | None:
    if isinstance(actor, SystemActor):
        return JobRole.SYSTEM
    if actor.id == job.client_id:
        return JobRole.CLIENT
    if actor.id == job.mentor_id:
        return JobRole.MENTOR
    return None


def may_open(job: Job, actor: Actor) -> bool:
    return role_of(job, actor) is not None or any(
        isinstance(actor, User) and actor.has_staff_permission(p) for p in JOB_STAFF
    )


def check_allowed(job: Job, action: JobAction, actor: Actor) -> JobStatus | str:
    """The target status, or the error that names why not: wrong actor, then wrong state."""
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
    return target


def _apply(job: Job, action: JobAction, target: JobStatus | str, price: Price | None) -> None:
    moment = clock.now()
    if target == RESTORE:
        job.status = job.status_before_dispute or JobStatus.PAID
        job.status_before_dispute = None
        return
    assert isinstance(target, JobStatus)
    if action is JobAction.OPEN_DISPUTE:
        job.status_before_dispute = job.status
    if action is JobAction.ACCEPT:
        if price is None:
            raise BadUserInput("Accepting a job needs a price.", field="price")
        job.price_cents = price.amount_cents
        job.currency = price.currency
        job.accepted_at = moment
    elif action is JobAction.MARK_PAID:
        job.paid_at = moment
    elif action is JobAction.DELIVER:
        job.delivered_at = moment
    if target in (JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED):
        job.closed_at = moment
    job.status = target


async def transition(
    job_id: int, action: JobAction, actor: Actor, *, price: Price | None = None
) -> Job:
    """Move one job along the table, under a row lock, or raise and change nothing.

    A job the actor may not open answers NOT_FOUND, exactly as a job that does not exist.
    """
    async with in_transaction():
        job = await Job.filter(id=job_id).select_for_update().get_or_none()
        if job is None or not may_open(job, actor):
            raise NotFound("No such job.", field="id")
        target = check_allowed(job, action, actor)
        if action is JobAction.ACCEPT:
            await require_payout_ready(job.mentor_id)  # paid work needs somewhere to pay
        _apply(job, action, target, price)
        await job.save()
    return job


def checked_price(amount_cents: int, currency: str) -> Price:
    return Price(
        checked_amount(amount_cents, field="price"),
        checked_currency(currency, field="currency"),
    )


async def request_job(client: User, mentor_profile_id: int, description: str) -> Job:
    """A client asks a mentor for help; the mentor answers with accept (and a price) or decline."""
    profile = await MentorProfile.get_or_none(id=mentor_profile_id, user__is_active=True)
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
    return await Job.create(client_id=client.id, mentor_id=profile.user_id, description=text)


async def visible_job(viewer: Viewer, job_id: int) -> Job | None:
    """A job for its two parties and job staff; None for everyone else, as if it did not exist."""
    job = await Job.get_or_none(id=job_id)
    if job is None or viewer.user is None or not may_open(job, viewer.user):
        return None
    return job


def jobs_of(user: User, role: JobRole, statuses: Sequence[JobStatus] = ()) -> QuerySet[Job]:
    """The user's jobs as client or as mentor, newest first."""
    column = "client_id" if role is JobRole.CLIENT else "mentor_id"
    query = Job.filter(**{column: user.id})
    if statuses:
        query = query.filter(status__in=list(statuses))
    return query.order_by("-created_at", "-id")


def _counterparty_check(viewer: Viewer) -> RelationshipCheck:
    """Viewer and subject share a job (in either role): one query per batch of subjects."""
    viewer_id = viewer.user_id

    async def shared_jobs(subject_ids: list[int]) -> list[bool]:
        if viewer_id is None:
            return [False] * len(subject_ids)
        pairs = await Job.filter(
            Q(client_id=viewer_id, mentor_id__in=subject_ids)
            | Q(mentor_id=viewer_id, client_id__in=subject_ids)
        ).values_list("client_id", "mentor_id")
        related = {other for pair in pairs for other in pair if other != viewer_id}
        return [subject in related for subject in subject_ids]

    loader: DataLoader[int, bool] = DataLoader(shared_jobs)
    return loader.load


register_relationship(Audience.COUNTERPARTY, _counterparty_check)

"""Testimonials, displayed only with permission (P14).

Policy: "testimonials are displayed only after receiving permission". A testimonial is private
to its author, the mentor and moderation staff until the author grants a scope (PROFILE for the
mentor's page, MARKETING for success stories) and chooses how to be named; revoking hides it
again at once. Every grant and revocation is kept with its time, as proof of consent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from models.accounts import StaffPermission, User
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    PermissionChange,
    Testimonial,
    TestimonialPermissionEvent,
    TestimonialScope,
)
from models.notifications import NotificationKind
from services.access.decisions import Access, RelatedRows, rows_by_pk
from services.access.registry import SUCCESS_STORIES
from services.access.states import TESTIMONIAL_DISPLAYED
from services.keyset import Ordering, Page, Window
from services.notifications.emit import notify
from services.ranking import counts_per, top_rows_per
from services.transactions import transaction

MODERATORS = StaffPermission.MODERATE_CONTENT
ANONYMOUS_NAME = "Anonymous"


class TestimonialAction(StrEnum):
    GRANT = "grant"
    REVOKE = "revoke"
    FEATURE = "feature"
    HIDE = "hide"
    SHOW = "show"


class Party(StrEnum):
    AUTHOR = "AUTHOR"
    # Staff with MODERATE_CONTENT: the mutations that moderate declare it, and check it once.
    MODERATOR = "MODERATOR"


@dataclass(frozen=True)
class Requirement:
    """What a testimonial must be for an action, and the CONFLICT when it is not."""

    holds: Callable[[Testimonial], bool]
    refusal: str


@dataclass(frozen=True)
class Step:
    by: Party
    requires: tuple[Requirement, ...] = ()


MARKETING_GRANTED = Requirement(
    lambda row: row.marketing_attribution is not None,
    "The author has not granted the MARKETING permission.",
)
NOT_HIDDEN = Requirement(
    lambda row: row.hidden_at is None, "A HIDDEN testimonial cannot be featured."
)

T = TestimonialAction
ACTIONS: dict[TestimonialAction, Step] = {
    # The author alone decides whether and how their words are shown, and may change it.
    T.GRANT: Step(Party.AUTHOR),
    T.REVOKE: Step(Party.AUTHOR),
    # A success story in marketing needs the author's MARKETING permission.
    T.FEATURE: Step(Party.MODERATOR, (MARKETING_GRANTED, NOT_HIDDEN)),
    T.HIDE: Step(Party.MODERATOR),
    T.SHOW: Step(Party.MODERATOR),
}


def author_name(full_name: str, attribution: Attribution | None) -> str:
    """The author as they chose to be named: full name, first name and initial, or nobody."""
    if attribution is Attribution.ANONYMOUS:
        return ANONYMOUS_NAME
    if attribution is Attribution.INITIALS:
        parts = full_name.split()
        if not parts:
            return ANONYMOUS_NAME
        return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."
    return full_name or ANONYMOUS_NAME


async def write_testimonial(author: User, job_id: int, rating: int, text: str) -> Testimonial:
    """The client of a COMPLETED job, once per job."""
    job = await Access.of(author).visible(Job).filter(id=job_id).get_or_none()
    if job is None:
        raise NotFound("No such job.", field="jobId")
    if author.id != job.client_id:
        raise Forbidden(f"Only the client writes a testimonial (the job is {job.status.value}).")
    if job.status is not JobStatus.COMPLETED:
        raise Conflict(
            f"A testimonial needs a COMPLETED job; this one is {job.status.value}.",
            field="jobId",
        )
    if not 1 <= rating <= 5:
        raise BadUserInput("Rate from 1 to 5.", field="rating")
    body = text.strip()
    if not body or len(body) > limits.MAX_TESTIMONIAL_LENGTH:
        limit = limits.MAX_TESTIMONIAL_LENGTH
        raise BadUserInput(f"Write 1 to {limit} characters.", field="text")
    try:
        async with transaction():
            written = await Testimonial.create(
                job_id=job.id,
                author_id=author.id,
                mentor_id=job.mentor_id,
                rating=rating,
                text=body,
            )
            await notify(
                NotificationKind.TESTIMONIAL_WRITTEN, [job.mentor_id], job=job, testimonial=written
            )
    except IntegrityError:
        raise Conflict("This job already has a testimonial.", field="jobId") from None
    return written


async def _locked(actor: User, testimonial_id: int, by: Party) -> Testimonial:
    """The testimonial, locked. Those who may not see it are told it does not exist; those who
    see it but are not its author are refused the author's actions."""
    row = await Testimonial.filter(id=testimonial_id).select_for_update().get_or_none()
    if row is None or not await Access.of(actor).may_see(row):
        raise NotFound("No such testimonial.", field="testimonialId")
    if by is Party.AUTHOR and row.author_id != actor.id:
        raise Forbidden("Only the author decides whether a testimonial is displayed.")
    return row


def _apply(
    row: Testimonial,
    action: TestimonialAction,
    scope: TestimonialScope | None,
    attribution: Attribution | None,
) -> None:
    if action in (T.GRANT, T.REVOKE):
        chosen = attribution if action is T.GRANT else None
        if scope is TestimonialScope.PROFILE:
            row.profile_attribution = chosen
        else:
            row.marketing_attribution = chosen
            if chosen is None:
                row.featured_at = None  # a featured story stops being featured
    elif action is T.FEATURE:
        row.featured_at = row.featured_at or clock.now()
    elif action is T.HIDE:
        # Hidden, it leaves every public list and stops being featured.
        row.hidden_at = row.hidden_at or clock.now()
        row.featured_at = None
    else:
        row.hidden_at = None


async def _act(
    actor: User,
    testimonial_id: int,
    action: TestimonialAction,
    scope: TestimonialScope | None = None,
    attribution: Attribution | None = None,
) -> Testimonial:
    step = ACTIONS[action]
    async with transaction():
        row = await _locked(actor, testimonial_id, step.by)
        for requirement in step.requires:
            if not requirement.holds(row):
                raise Conflict(requirement.refusal, field="testimonialId")
        _apply(row, action, scope, attribution)
        await row.save()
        if scope is not None:  # proof of consent: every grant and revocation, with its time
            await TestimonialPermissionEvent.create(
                testimonial_id=row.id,
                author_id=row.author_id,
                scope=scope,
                change=PermissionChange.GRANTED if action is T.GRANT else PermissionChange.REVOKED,
                attribution=attribution if action is T.GRANT else None,
            )
    return row


async def grant_permission(
    author: User, testimonial_id: int, scope: TestimonialScope, attribution: Attribution
) -> Testimonial:
    return await _act(author, testimonial_id, T.GRANT, scope, attribution)


async def revoke_permission(
    author: User, testimonial_id: int, scope: TestimonialScope
) -> Testimonial:
    """Hides it from that scope at once."""
    return await _act(author, testimonial_id, T.REVOKE, scope)


async def feature(moderator: User, testimonial_id: int) -> Testimonial:
    return await _act(moderator, testimonial_id, T.FEATURE)


async def set_hidden(moderator: User, testimonial_id: int, hidden: bool) -> Testimonial:
    return await _act(moderator, testimonial_id, T.HIDE if hidden else T.SHOW)


def _displayed(access: Access) -> QuerySet[Testimonial]:
    """What a mentor's page shows, to everyone alike: PROFILE granted and not hidden."""
    return access.visible(Testimonial).filter(TESTIMONIAL_DISPLAYED.where())


def displayed_for(access: Access, mentor_user_id: int) -> QuerySet[Testimonial]:
    return _displayed(access).filter(mentor_id=mentor_user_id).order_by("-created_at", "-id")


def featured(access: Access) -> QuerySet[Testimonial]:
    return access.visible(Testimonial, SUCCESS_STORIES).order_by("-featured_at", "-id")


def latest_displayed_order() -> Ordering:
    """A mentor's testimonials on their profile: newest first."""
    return Ordering.declared(Testimonial, ("-created_at", "-id"))


async def latest_displayed_for(
    access: Access,
    mentor_user_ids: Sequence[int],
    window: Window,
    related: RelatedRows = rows_by_pk,
) -> list[Page]:
    """The same window of each mentor's displayed testimonials, in one query."""
    return await top_rows_per(
        _displayed(access),
        "mentor_id",
        mentor_user_ids,
        ordering=latest_displayed_order(),
        window=window,
        related=related,
    )


async def displayed_counts(access: Access, mentor_user_ids: Sequence[int]) -> list[int]:
    return await counts_per(_displayed(access), "mentor_id", mentor_user_ids)


async def ratings(access: Access, mentor_user_ids: Sequence[int]) -> list[float | None]:
    """Average rating of the displayed testimonials only, per mentor, in one grouped query.

    Sum and count rather than AVG: tortoise casts AVG of an integer column back to an integer.
    """
    grouped = (
        await _displayed(access)
        .filter(mentor_id__in=list(set(mentor_user_ids)))
        .annotate(total=Sum("rating"), rated=Count("id"))
        .group_by("mentor_id")
        .values_list("mentor_id", "total", "rated")
    )
    averages = {int(mentor): round(int(total) / int(rated), 2) for mentor, total, rated in grouped}
    return [averages.get(int(i)) for i in mentor_user_ids]


async def permission_history(
    access: Access, testimonial: Testimonial
) -> list[TestimonialPermissionEvent] | None:
    """Every grant and revocation, oldest first; None for who may not see the author's
    consent records."""
    if not access.opens_rows_of(TestimonialPermissionEvent, testimonial.author_id):
        return None
    events = access.visible(TestimonialPermissionEvent).filter(testimonial_id=testimonial.id)
    return await events.order_by("created_at", "id")

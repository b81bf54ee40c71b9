"""Testimonials, displayed only with permission (P14).

Policy: "testimonials are displayed only after receiving permission". A testimonial is private
to its author, the mentor and moderation staff until the author grants a scope (PROFILE for the
mentor's page, MARKETING for success stories) and chooses how to be named; revoking hides it
again at once. Every grant and revocation is kept with its time, as proof of consent.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

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
from services.ranking import counts_per, top_rows_per
from services.viewer import Viewer

MODERATORS = StaffPermission.MODERATE_CONTENT
ANONYMOUS_NAME = "Anonymous"


def on_profile() -> QuerySet[Testimonial]:
    """What the public sees on a mentor's page: PROFILE granted and not hidden by moderation."""
    return Testimonial.filter(profile_attribution__isnull=False, hidden_at__isnull=True)


def is_private_reader(viewer: Viewer, testimonial: Testimonial) -> bool:
    return viewer.user_id in (testimonial.author_id, testimonial.mentor_id) or (
        viewer.has_permission(MODERATORS)
    )


def is_displayed(testimonial: Testimonial) -> bool:
    return testimonial.profile_attribution is not None and testimonial.hidden_at is None


def is_visible_to(viewer: Viewer, testimonial: Testimonial) -> bool:
    return is_displayed(testimonial) or is_private_reader(viewer, testimonial)


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


def author_link_visible(viewer: Viewer, testimonial: Testimonial) -> bool:
    """An anonymous or initialled testimonial links to its author for the author and staff only."""
    if viewer.user_id == testimonial.author_id or viewer.has_permission(MODERATORS):
        return True
    return testimonial.profile_attribution is Attribution.FULL_NAME and is_displayed(testimonial)


async def write_testimonial(author: User, job_id: int, rating: int, text: str) -> Testimonial:
    """The client of a COMPLETED job, once per job."""
    job = await Job.get_or_none(id=job_id)
    if job is None or author.id not in (job.client_id, job.mentor_id):
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
        return await Testimonial.create(
            job_id=job.id, author_id=author.id, mentor_id=job.mentor_id, rating=rating, text=body
        )
    except IntegrityError:
        raise Conflict("This job already has a testimonial.", field="jobId") from None


async def _authored(viewer: Viewer, testimonial_id: int) -> Testimonial:
    """The viewer's own testimonial, locked. Others who may see it are refused, the rest
    are told it does not exist."""
    row = await Testimonial.filter(id=testimonial_id).select_for_update().get_or_none()
    if row is None or not is_visible_to(viewer, row):
        raise NotFound("No such testimonial.", field="testimonialId")
    if row.author_id != viewer.user_id:
        raise Forbidden("Only the author decides whether a testimonial is displayed.")
    return row


def _set_scope(row: Testimonial, scope: TestimonialScope, attribution: Attribution | None) -> None:
    if scope is TestimonialScope.PROFILE:
        row.profile_attribution = attribution
    else:
        row.marketing_attribution = attribution
        if attribution is None:
            row.featured_at = None


async def _record(
    row: Testimonial, scope: TestimonialScope, attribution: Attribution | None
) -> None:
    _set_scope(row, scope, attribution)
    await row.save()
    await TestimonialPermissionEvent.create(
        testimonial_id=row.id,
        author_id=row.author_id,
        scope=scope,
        change=PermissionChange.REVOKED if attribution is None else PermissionChange.GRANTED,
        attribution=attribution,
    )


async def grant_permission(
    viewer: Viewer, testimonial_id: int, scope: TestimonialScope, attribution: Attribution
) -> Testimonial:
    async with in_transaction():
        row = await _authored(viewer, testimonial_id)
        await _record(row, scope, attribution)
    return row


async def revoke_permission(
    viewer: Viewer, testimonial_id: int, scope: TestimonialScope
) -> Testimonial:
    """Hides it from that scope at once; a featured story stops being featured."""
    async with in_transaction():
        row = await _authored(viewer, testimonial_id)
        await _record(row, scope, None)
    return row


async def _moderated(viewer: Viewer, testimonial_id: int) -> Testimonial:
    viewer.require_permission(MODERATORS)
    row = await Testimonial.filter(id=testimonial_id).select_for_update().get_or_none()
    if row is None:
        raise NotFound("No such testimonial.", field="testimonialId")
    return row


async def feature(viewer: Viewer, testimonial_id: int) -> Testimonial:
    """A success story in marketing needs the author's MARKETING permission."""
    async with in_transaction():
        row = await _moderated(viewer, testimonial_id)
        if row.marketing_attribution is None:
            raise Conflict(
                "The author has not granted the MARKETING permission.", field="testimonialId"
            )
        if row.hidden_at is not None:
            raise Conflict("A HIDDEN testimonial cannot be featured.", field="testimonialId")
        row.featured_at = row.featured_at or clock.now()
        await row.save()
    return row


async def set_hidden(viewer: Viewer, testimonial_id: int, hidden: bool) -> Testimonial:
    """Moderation: a hidden testimonial leaves every public list and stops being featured."""
    async with in_transaction():
        row = await _moderated(viewer, testimonial_id)
        row.hidden_at = (row.hidden_at or clock.now()) if hidden else None
        if hidden:
            row.featured_at = None
        await row.save()
    return row


def displayed_for(mentor_user_id: int) -> QuerySet[Testimonial]:
    return on_profile().filter(mentor_id=mentor_user_id).order_by("-created_at", "-id")


def featured() -> QuerySet[Testimonial]:
    return Testimonial.filter(
        Q(featured_at__isnull=False),
        marketing_attribution__isnull=False,
        hidden_at__isnull=True,
    ).order_by("-featured_at", "-id")


async def latest_displayed_for(
    mentor_user_ids: Sequence[int], limit: int
) -> list[list[Testimonial]]:
    return await top_rows_per(
        on_profile(), "mentor_id", mentor_user_ids, order=("created_at", "id"), limit=limit
    )


async def displayed_counts(mentor_user_ids: Sequence[int]) -> list[int]:
    return await counts_per(on_profile(), "mentor_id", mentor_user_ids)


async def ratings(mentor_user_ids: Sequence[int]) -> list[float | None]:
    """Average rating of the displayed testimonials only, per mentor, in one grouped query.

    Sum and count rather than AVG: tortoise casts AVG of an integer column back to an integer.
    """
    grouped = (
        await on_profile()
        .filter(mentor_id__in=list(set(mentor_user_ids)))
        .annotate(total=Sum("rating"), rated=Count("id"))
        .group_by("mentor_id")
        .values_list("mentor_id", "total", "rated")
    )
    averages = {int(mentor): round(int(total) / int(rated), 2) for mentor, total, rated in grouped}
    return [averages.get(int(i)) for i in mentor_user_ids]


async def permission_history(testimonial_id: int) -> list[TestimonialPermissionEvent]:
    return await TestimonialPermissionEvent.filter(testimonial_id=testimonial_id).order_by(
        "created_at", "id"
    )

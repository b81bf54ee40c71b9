"""Relations between the viewer and a row's owner that open an audience, each written twice
side by side: as a batched lookup for loaded rows and as SQL for lists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q, Subquery

from models.marketplace import Job, MentorProfile
from services.access.policy import Audience

# Given the viewer's user id (None when anonymous) and a batch of owner ids: whether the
# relation holds with each.
Lookup = Callable[[int | None, Sequence[int]], Awaitable[list[bool]]]
# Given the viewer's user id and the column holding the owner's id: the same test in SQL.
Where = Callable[[int | None, str], Q]


def nothing() -> Q:
    """A filter no row passes."""
    return Q(pk__in=[])


def matching(column: str, value: object) -> Q:
    """``column`` equals ``value`` (or, with an ``__in`` suffix, is among it)."""
    condition: dict[str, Any] = {column: value}
    return Q(**condition)


@dataclass(frozen=True)
class Relationship:
    lookup: Lookup
    where: Where


async def _are_active_mentors(viewer_id: int | None, user_ids: Sequence[int]) -> list[bool]:
    mentors = set(
        await MentorProfile.filter(
            user_id__in=list(set(user_ids)), user__is_active=True
        ).values_list("user_id", flat=True)
    )
    return [user_id in mentors for user_id in user_ids]


def _active_mentors_where(viewer_id: int | None, column: str) -> Q:
    active = MentorProfile.filter(user__is_active=True).values("user_id")
    return matching(f"{column}__in", Subquery(active))


async def _share_a_job(viewer_id: int | None, user_ids: Sequence[int]) -> list[bool]:
    """Viewer and owner share a job, in either role, in any state."""
    if viewer_id is None:
        return [False] * len(user_ids)
    pairs = await Job.filter(
        Q(client_id=viewer_id, mentor_id__in=list(user_ids))
        | Q(mentor_id=viewer_id, client_id__in=list(user_ids))
    ).values_list("client_id", "mentor_id")
    related = {other for pair in pairs for other in pair if other != viewer_id}
    return [user_id in related for user_id in user_ids]


def _shared_jobs_where(viewer_id: int | None, column: str) -> Q:
    if viewer_id is None:
        return nothing()
    mentors_of = Job.filter(client_id=viewer_id).values("mentor_id")
    clients_of = Job.filter(mentor_id=viewer_id).values("client_id")
    return matching(f"{column}__in", Subquery(mentors_of)) | matching(
        f"{column}__in", Subquery(clients_of)
    )


RELATIONSHIPS: dict[Audience, Relationship] = {
    # A mentor's profile fields are public: the owner is an active mentor.
    Audience.PUBLIC_PROFILE: Relationship(_are_active_mentors, _active_mentors_where),
    # Clients are seen by the mentors they work with, and the other way round.
    Audience.COUNTERPARTY: Relationship(_share_a_job, _shared_jobs_where),
}

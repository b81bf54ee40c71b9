"""Per-request DataLoaders, so lists never cost one query per row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.accounts import User
from models.marketplace import Job, MentorProfile, Post, Testimonial
from services import mentors, posts, testimonials

M = TypeVar("M", bound=Model)
T = TypeVar("T")
# A nested page: (parent id, how many leading rows it needs).
PageKey = tuple[int, int]


async def rows_by_id(model: type[M], ids: Sequence[int]) -> list[M | None]:
    """Load rows for ``ids`` in one query, in the order asked, None where missing."""
    found = {row.pk: row for row in await model.filter(pk__in=list(set(ids)))}
    return [found.get(i) for i in ids]


def group_by(rows: Iterable[M], keys: Sequence[int], attr: str) -> list[list[M]]:
    buckets: dict[int, list[M]] = {key: [] for key in keys}
    for row in rows:
        buckets.setdefault(getattr(row, attr), []).append(row)
    return [buckets[key] for key in keys]


def leading_rows(
    fetch: Callable[[Sequence[int], int], Awaitable[list[list[T]]]],
) -> DataLoader[PageKey, list[T]]:
    """Batches nested pages: one query per distinct page length, whatever the parent count."""

    async def load(keys: Sequence[PageKey]) -> list[list[T]]:
        found: dict[PageKey, list[T]] = {}
        for limit in {limit for _, limit in keys}:
            parents = [parent for parent, wanted in keys if wanted == limit]
            for parent, rows in zip(parents, await fetch(parents, limit), strict=True):
                found[(parent, limit)] = rows
        return [found[key] for key in keys]

    return DataLoader(load)


class Loaders:
    """Created afresh for each request (and each WebSocket message), never shared."""

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(lambda ids: rows_by_id(User, ids))

    @cached_property
    def mentor(self) -> DataLoader[int, MentorProfile | None]:
        """Active mentors by profile id, with their user."""
        return DataLoader(mentors.active_profiles)

    @cached_property
    def mentor_of_user(self) -> DataLoader[int, MentorProfile | None]:
        return DataLoader(mentors.profiles_of_users)

    @cached_property
    def post(self) -> DataLoader[int, Post | None]:
        return DataLoader(lambda ids: rows_by_id(Post, ids))

    @cached_property
    def latest_posts(self) -> DataLoader[PageKey, list[Post]]:
        return leading_rows(posts.latest_published_by)

    @cached_property
    def published_post_count(self) -> DataLoader[int, int]:
        return DataLoader(posts.published_counts)

    @cached_property
    def liked_posts(self) -> DataLoader[tuple[int, int], bool]:
        """(user id, post id): whether the user likes the post."""

        async def load(keys: Sequence[tuple[int, int]]) -> list[bool]:
            answers: dict[tuple[int, int], bool] = {}
            for user_id in {user for user, _ in keys}:
                post_ids = [post for user, post in keys if user == user_id]
                for post_id, liked in zip(
                    post_ids, await posts.liked_by(user_id, post_ids), strict=True
                ):
                    answers[(user_id, post_id)] = liked
            return [answers[key] for key in keys]

        return DataLoader(load)

    @cached_property
    def job(self) -> DataLoader[int, Job | None]:
        return DataLoader(lambda ids: rows_by_id(Job, ids))

    @cached_property
    def testimonial(self) -> DataLoader[int, Testimonial | None]:
        return DataLoader(lambda ids: rows_by_id(Testimonial, ids))

    @cached_property
    def testimonial_of_job(self) -> DataLoader[int, Testimonial | None]:
        async def load(job_ids: Sequence[int]) -> list[Testimonial | None]:
            found = {t.job_id: t for t in await Testimonial.filter(job_id__in=list(job_ids))}
            return [found.get(i) for i in job_ids]

        return DataLoader(load)

    @cached_property
    def latest_testimonials(self) -> DataLoader[PageKey, list[Testimonial]]:
        """A mentor's newest displayed testimonials, keyed by the mentor's user id."""
        return leading_rows(testimonials.latest_displayed_for)

    @cached_property
    def displayed_testimonial_count(self) -> DataLoader[int, int]:
        return DataLoader(testimonials.displayed_counts)

    @cached_property
    def mentor_rating(self) -> DataLoader[int, float | None]:
        return DataLoader(testimonials.ratings)

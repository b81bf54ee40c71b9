"""Per-request DataLoaders, so lists never cost one query per row."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from strawberry.execution import optimized_is_awaitable
from tortoise.models import Model

from models.accounts import User
from models.marketplace import Attribution, Job, MentorProfile, Post, Testimonial
from services import mentors, posts, testimonials

M = TypeVar("M", bound=Model)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
# A nested page: (parent id, how many leading rows it needs).
PageKey = tuple[int, int]


def now_or_later(loader: DataLoader[K, T], key: K) -> T | Awaitable[T]:
    """The value itself when this request already loaded ``key``, else the pending load.

    A resolver that returns a plain value costs GraphQL no coroutine, task or await, which
    on a page of 50 mentors with nested lists adds up to more than the SQL itself.
    """
    cached = loader.cache_map.get(key) if loader.cache else None
    settled = cached is not None and cached.done() and not cached.cancelled()
    if cached is not None and settled and cached.exception() is None:
        return cached.result()
    return loader.load(key)


def is_pending(value: Any) -> bool:
    """Whether GraphQL must await ``value``.

    Tortoise rows define ``__await__`` (returning themselves), so a plain awaitable check
    takes every row a resolver returns for pending work, and GraphQL spent a coroutine and a
    task on each node of every list. A row is a value.
    """
    return optimized_is_awaitable(value) and not isinstance(value, Model)


def then(value: T | Awaitable[T], use: Callable[[T], R]) -> Any:
    """``use(value)`` at once for a plain value, or once a pending one settles.

    Typed ``Any``: a resolver declares the GraphQL type of what it resolves to, and GraphQL
    awaits whatever is pending.
    """
    if is_pending(value):
        pending: Awaitable[T] = value  # type: ignore[assignment]

        async def later() -> R:
            return use(await pending)

        return later()
    return use(value)  # type: ignore[arg-type]  # not pending, so a T


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
        """A mentor's newest displayed testimonials, keyed by the mentor's user id.

        The authors they name are loaded in the same batch, so ``authorName`` resolves
        without waiting (see ``now_or_later``).
        """

        async def fetch(mentor_ids: Sequence[int], limit: int) -> list[list[Testimonial]]:
            pages = await testimonials.latest_displayed_for(mentor_ids, limit)
            named = {
                row.author_id
                for page in pages
                for row in page
                if row.profile_attribution is not Attribution.ANONYMOUS
            }
            await self.user.load_many(sorted(named))
            return pages

        return leading_rows(fetch)

    @cached_property
    def displayed_testimonial_count(self) -> DataLoader[int, int]:
        return DataLoader(testimonials.displayed_counts)

    @cached_property
    def mentor_rating(self) -> DataLoader[int, float | None]:
        return DataLoader(testimonials.ratings)

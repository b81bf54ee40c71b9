"""Per-request DataLoaders, so lists never cost one query per row.

Rows come as stored (with the joins their row rule reads); whoever hands one to the client
asks the request's ``Access`` first. Nested pages are read through it in SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import cached_property, partial
from typing import Any, Generic, TypeVar, cast

from strawberry.dataloader import DataLoader
from strawberry.execution import optimized_is_awaitable
from tortoise.models import Model

from models.marketplace import Post, Testimonial
from services import posts, testimonials
from services.access.decisions import Access
from services.access.registry import privacy_of
from services.deletion import erasure
from services.keyset import Ordering, Page, Window

M = TypeVar("M", bound=Model)
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
R = TypeVar("R")
# A nested page: the parent's id and the window of its list.
PageKey = tuple[int, Window]


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


async def rows_by(
    model: type[M], column: str, joins: tuple[str, ...], keys: Sequence[int]
) -> list[M | None]:
    """Rows whose ``column`` holds each key, in one query, in the order asked."""
    query = model.filter(**{f"{column}__in": list(set(keys))}).select_related(*joins)
    found = {getattr(row, column): row for row in await query}
    return [found.get(key) for key in keys]


class NestedPages(Generic[T]):
    """The pages of many parents' lists in one order (a mentor's posts on a page of mentors):
    every parent asking for the same window is read in one query."""

    def __init__(
        self, ordering: Ordering, fetch: Callable[[Sequence[int], Window], Awaitable[list[Page]]]
    ) -> None:
        self.ordering = ordering

        async def load(keys: Sequence[PageKey]) -> list[Page]:
            found: dict[PageKey, Page] = {}
            for window in {window for _, window in keys}:
                parents = [parent for parent, wanted in keys if wanted == window]
                for parent, page in zip(parents, await fetch(parents, window), strict=True):
                    found[(parent, window)] = page
            return [found[key] for key in keys]

        self.loader: DataLoader[PageKey, Page] = DataLoader(load)


class Loaders:
    """Created afresh for each request (and for each viewer a request takes on), never shared."""

    def __init__(self, access: Access) -> None:
        self.access = access
        self._rows: dict[tuple[type[Any], str], DataLoader[int, Any]] = {}

    def rows(self, model: type[M], by: str = "pk") -> DataLoader[int, M | None]:
        """Rows of ``model`` by a unique column (its id, or a one-to-one key like a mentor
        profile's user id), each with the joins its row rule reads."""
        loader = self._rows.get((model, by))
        if loader is None:
            loader = self._rows[(model, by)] = DataLoader(partial(self._read_rows, model, by))
        return cast(DataLoader[int, M | None], loader)

    async def _read_rows(self, model: type[M], by: str, keys: Sequence[int]) -> list[M | None]:
        found = await rows_by(model, by, privacy_of(model).joins, keys)
        self.remember([row for row in found if row is not None])
        return found

    def remember(self, rows: Sequence[Model]) -> None:
        """Rows read with the relations their rules read: those related rows are this
        request's too, and a later read of one by id is answered from them (a page of
        mentors came with their accounts, which their posts' rules read again)."""
        for row in rows:
            for name in privacy_of(type(row)).joins:
                related = getattr(row, name)
                if isinstance(related, Model):
                    self.rows(type(related)).prime(related.pk, related)

    async def related_rows(self, model: type[M], keys: Sequence[int]) -> list[M | None]:
        """Rows a page's rules read (``fetch_joins``), from the same loaders: the accounts of
        a page of mentors are read once, not again as the authors of their posts."""
        return await self.rows(model).load_many(keys)

    @cached_property
    def latest_posts(self) -> NestedPages[Post]:
        return NestedPages(
            posts.latest_published_order(),
            partial(posts.latest_published_by, self.access, related=self.related_rows),
        )

    @cached_property
    def published_post_count(self) -> DataLoader[int, int]:
        return DataLoader(partial(posts.published_counts, self.access))

    @cached_property
    def liked_posts(self) -> DataLoader[int, bool]:
        """Post id: whether the viewer likes it."""
        return DataLoader(partial(posts.liked_by_viewer, self.access))

    @cached_property
    def latest_testimonials(self) -> NestedPages[Testimonial]:
        """A mentor's newest displayed testimonials, keyed by the mentor's user id.

        Their authors come with them (a relation their rule reads) into the User loader, so
        ``authorName`` resolves without waiting (see ``now_or_later``).
        """
        return NestedPages(
            testimonials.latest_displayed_order(),
            partial(testimonials.latest_displayed_for, self.access, related=self.related_rows),
        )

    @cached_property
    def displayed_testimonial_count(self) -> DataLoader[int, int]:
        return DataLoader(partial(testimonials.displayed_counts, self.access))

    @cached_property
    def erased_pseudonyms(self) -> DataLoader[int, str | None]:
        """User id: the pseudonym of the account once erased, else None."""
        return DataLoader(erasure.erased_pseudonyms)

    @cached_property
    def mentor_rating(self) -> DataLoader[int, float | None]:
        return DataLoader(partial(testimonials.ratings, self.access))

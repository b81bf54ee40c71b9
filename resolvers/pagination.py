"""The one pagination: Relay connections with opaque cursors, ``totalCount`` and ``first`` ≤ 100.

Root lists hand a Tortoise QuerySet to ``ListConnection``, which slices it, so LIMIT/OFFSET
run in SQL. Nested lists (a mentor's posts on a page of mentors) come from a DataLoader
that fetches the first rows of every parent at once; they build the same connection from
those rows with ``CountedConnection.of_rows``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any, Generic

import strawberry
from strawberry import relay
from strawberry.relay.types import PREFIX as CURSOR_PREFIX
from strawberry.relay.types import NodeType
from strawberry.relay.utils import from_base64
from tortoise.queryset import QuerySet

from core import limits
from core.errors import BadUserInput
from services.access.registry import REGISTRY

Counter = Callable[[], Awaitable[int]]
# The page arguments of a list, described once.
First = Annotated[
    int | None, strawberry.argument(description=f"How many, at most {limits.MAX_PAGE_SIZE}.")
]
After = Annotated[
    str | None, strawberry.argument(description="The cursor of the last item of the page before.")
]


def checked_page(first: int | None, last: int | None, before: str | None) -> None:
    for name, size in (("first", first), ("last", last)):
        if size is not None and not 0 <= size <= limits.MAX_PAGE_SIZE:
            raise BadUserInput(
                f"`{name}` must be between 0 and {limits.MAX_PAGE_SIZE}; ask for the next page "
                "with `after` instead.",
                field=name,
            )
    if last is not None and before is None:
        raise BadUserInput("`last` needs `before`; page forwards with `first`.", field="last")


def cursor_position(cursor: str, *, field: str) -> int:
    """The list index a cursor names. Cursors come back from clients, so a negative or absurd
    index is refused here rather than reaching SQL's OFFSET."""
    try:
        prefix, index = from_base64(cursor)
        position = int(index) if index.isascii() else -1
        if prefix != CURSOR_PREFIX or not 0 <= position <= limits.MAX_CURSOR_INDEX:
            raise ValueError(index)
    except ValueError:
        raise BadUserInput("This cursor is not valid.", field=field) from None
    return position


def offset_after(after: str | None) -> int:
    """The index of the first item after a cursor (0 without one)."""
    return 0 if after is None else cursor_position(after, field="after") + 1


def rows_to_fetch(first: int | None, after: str | None) -> int:
    """How many leading rows a nested page needs: everything up to its end, plus one more to
    know whether a next page exists."""
    checked_page(first, None, None)
    return offset_after(after) + (limits.MAX_PAGE_SIZE if first is None else first) + 1


@strawberry.type
class CountedConnection(relay.ListConnection[NodeType], Generic[NodeType]):
    counter: strawberry.Private[Counter | None] = None

    @strawberry.field(description="How many items the whole list holds, across all pages.")
    async def total_count(self) -> int:
        assert self.counter is not None
        return await self.counter()

    @classmethod
    def resolve_connection(  # type: ignore[override]
        cls,
        nodes: Iterable[NodeType] | QuerySet[Any],
        *,
        info: strawberry.Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        counter: Counter | None = None,
        **kwargs: Any,
    ) -> Any:
        checked_page(first, last, before)
        offset_after(after)
        if before is not None:
            cursor_position(before, field="before")
        if counter is None:
            assert isinstance(nodes, QuerySet), "a list of rows needs its own counter"
            counter = nodes.count
        if isinstance(nodes, QuerySet) and nodes.model in REGISTRY and not nodes._annotations:
            # As every loader hands rows out: with the relations their rules read. (A grouped
            # query cannot join them on PostgreSQL; its rows fetch them when judged.)
            nodes = nodes.select_related(*REGISTRY[nodes.model].joins)
        resolved = super().resolve_connection(
            nodes,
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
            max_results=max_results,
            **kwargs,
        )

        if not inspect.isawaitable(resolved):
            resolved.counter = counter
            return resolved

        async def counted() -> Any:
            connection = await resolved
            connection.counter = counter
            return connection

        return counted()

    @classmethod
    def of_rows(
        cls,
        rows: list[Any],
        *,
        first: int | None,
        after: str | None,
        counter: Counter,
    ) -> Any:
        """A page cut from the leading rows a loader fetched (see ``rows_to_fetch``).

        Built directly rather than through ``resolve_connection``, which resolves the generic
        edge type on every call: on a page of 50 mentors with two nested lists each, that
        alone cost more than the SQL.
        """
        checked_page(first, None, None)
        start = offset_after(after)
        end = start + (limits.MAX_PAGE_SIZE if first is None else first)
        edges = [
            relay.Edge.resolve_edge(row, cursor=index)
            for index, row in enumerate(rows[start:end], start=start)
        ]
        return cls(
            edges=edges,
            page_info=relay.PageInfo(
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
                has_previous_page=start > 0,
                has_next_page=len(rows) > end,
            ),
            counter=counter,
        )

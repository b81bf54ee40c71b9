"""The one pagination: Relay connections with keyset cursors, ``totalCount`` and pages ≤ 100.

A connection pages in the order its service gave the query (``services.keyset``): a cursor is
the sort values of a row, sealed, so ``after``/``before`` become a WHERE on those values and
rows inserted while a client pages neither repeat nor vanish. Root lists read their page with
``resolve_connection``; nested lists (a mentor's posts on a page of mentors) come from a
DataLoader that reads the same window of every parent's list at once, shaped by ``of_page``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import inspect
import types
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

import orjson
import strawberry
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV
from tortoise.queryset import QuerySet

from core import limits
from core.errors import BadUserInput
from resolvers.context import Info
from resolvers.loaders import NestedPages, now_or_later, then
from services.access.registry import REGISTRY
from services.keyset import Ordering, Page, Position, Window, read_page

Item = TypeVar("Item")
Counter = Callable[[], Awaitable[int]]

# The page arguments of every list, described once.
First = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items from the start of the list (or after `after`), at most "
        f"{limits.MAX_PAGE_SIZE}; {limits.MAX_PAGE_SIZE} when neither `first` nor `last` is given."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Start after the item of this cursor (an `endCursor` or an edge's "
        "`cursor` from this same list)."
    ),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description=f"How many items from the end of the list (or before `before`), at most "
        f"{limits.MAX_PAGE_SIZE}; not together with `first`."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(
        description="End before the item of this cursor (a `startCursor` or an edge's "
        "`cursor` from this same list)."
    ),
]

CURSOR_VERSION = 2
INVALID_CURSOR = "This cursor is not valid for this list: use a cursor this list returned."


@lru_cache(maxsize=4)
def _cursor_cipher(secret_key: str) -> AESSIV:
    """What cursors are sealed with, keyed apart from every other use of the server's secret;
    made once, not for each of the hundred lists a page may hold."""
    return AESSIV(hashlib.sha512(b"mentor-api keyset cursor\0" + secret_key.encode()).digest())


def _encoded(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"at": value.isoformat()}
    assert value is None or isinstance(value, bool | int | str), f"cannot page on {value!r}"
    return value


def _decoded(value: Any) -> Any:
    """A sort value from a cursor, refused unless it is one a row could hold."""
    if isinstance(value, dict) and value.keys() == {"at"} and isinstance(value["at"], str):
        return datetime.fromisoformat(value["at"])
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and -limits.MAX_ROW_ID - 1 <= value <= limits.MAX_ROW_ID:
        return value
    raise ValueError(value)


def checked_size(size: int | None, *, field: str) -> None:
    """A page (or a top list) holds at most ``MAX_PAGE_SIZE`` items."""
    if size is not None and not 0 <= size <= limits.MAX_PAGE_SIZE:
        raise BadUserInput(
            f"`{field}` must be between 0 and {limits.MAX_PAGE_SIZE}; ask for the next page "
            "with `after` (or the previous one with `before`) instead.",
            field=field,
        )


class Cursors:
    """Cursors of one list: a row's sort values in its order, with the order's fingerprint,
    sealed with the server's secret (AES-SIV). Sealed rather than only signed: a client can
    hand back only what it was given, and can read nothing from it — a sort value (when a
    post was liked, a recommendation's score) is not always a field the viewer may read.
    SIV is deterministic, so one row in one order always has one cursor (``endCursor`` is the
    last edge's ``cursor``)."""

    def __init__(
        self,
        ordering: Ordering,
        secret_key: str,
        position_of: Callable[[Any], Position] | None = None,
    ) -> None:
        self.ordering = ordering
        self._cipher = _cursor_cipher(secret_key)
        self._position_of = position_of or ordering.position_of

    @classmethod
    def of(cls, info: Info, ordering: Ordering, **kwargs: Any) -> Cursors:
        return cls(ordering, info.context.runtime.settings.secret_key, **kwargs)

    def cursor_of(self, row: Any) -> str:
        values = [_encoded(value) for value in self._position_of(row)]
        payload = orjson.dumps([CURSOR_VERSION, self.ordering.fingerprint, values])
        sealed = self._cipher.encrypt(payload, None)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def position(self, cursor: str, *, field: str) -> Position:
        """The sort values a cursor names. Cursors come back from clients: one not made by
        this server for this list and order is refused before it reaches SQL."""
        try:
            if len(cursor) > limits.MAX_CURSOR_LENGTH:
                raise ValueError(cursor)
            sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            version, fingerprint, values = orjson.loads(self._cipher.decrypt(sealed, None))
            if (version, fingerprint) != (CURSOR_VERSION, self.ordering.fingerprint):
                raise ValueError(cursor)
            if not isinstance(values, list) or len(values) != len(self.ordering.keys):
                raise ValueError(cursor)
            return tuple(_decoded(value) for value in values)
        except (ValueError, TypeError, InvalidTag, binascii.Error, orjson.JSONDecodeError):
            raise BadUserInput(INVALID_CURSOR, field=field) from None

    def window(
        self,
        *,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Window:
        """The window the page arguments ask for, refused when they make no sense."""
        checked_size(first, field="first")
        checked_size(last, field="last")
        if first is not None and last is not None:
            raise BadUserInput(
                "Give `first` (to page forwards) or `last` (to page backwards), not both.",
                field="last",
            )
        return Window(
            size=limits.MAX_PAGE_SIZE if first is None and last is None else first or last or 0,
            after=None if after is None else self.position(after, field="after"),
            before=None if before is None else self.position(before, field="before"),
            from_end=last is not None,
        )


@strawberry.type(
    name="PageInfo",
    description="Where a page lies in its list: whether items come before or after it, and "
    "the cursors to page on from its two ends.",
)
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether items follow this page: ask for them with `after: endCursor`."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items precede this page: ask for them with `last` and "
        "`before: startCursor`."
    )
    rows: strawberry.Private[list[Any]]
    cursors: strawberry.Private[Cursors]

    @strawberry.field(description="The cursor of the page's first item; null on an empty page.")
    def start_cursor(self) -> str | None:
        return self.cursors.cursor_of(self.rows[0]) if self.rows else None

    @strawberry.field(description="The cursor of the page's last item; null on an empty page.")
    def end_cursor(self) -> str | None:
        return self.cursors.cursor_of(self.rows[-1]) if self.rows else None


@strawberry.type
class Edge(Generic[Item]):
    """An item of a page and its cursor; each connection names its own (see
    ``CountedConnection.__init_subclass__``)."""

    node: Item = strawberry.field(description="The item.")
    cursors: strawberry.Private[Cursors]

    @strawberry.field(
        description="Where this item stands in the list: pass it as `after` for the items "
        "that follow it, or as `before` for those that precede it."
    )
    def cursor(self) -> str:
        return self.cursors.cursor_of(self.node)


def _a(name: str) -> str:
    return f"An {name}" if name[0] in "AEIOU" else f"A {name}"


@strawberry.type
class CountedConnection(Generic[Item]):
    """A page of a list. Each subclass gets its own Edge type (``MentorEdge`` for a
    ``CountedConnection[MentorType]``) described by the item it holds."""

    edge_type: ClassVar[type[Edge[Any]]] = Edge
    page_info: PageInfo = strawberry.field(
        description="Whether items come before or after this page, and the cursors to get them."
    )
    edges: list[Edge[Item]] = strawberry.field(
        description="The items of this page in the list's order, each with its cursor."
    )
    counter: strawberry.Private[Counter]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Give ``class MentorConnection(CountedConnection[MentorType])`` its ``MentorEdge``
        before Strawberry reads the class, so no connection writes its own Edge and none
        shares another's description. (Strawberry's own subclasses, made when it
        specializes a generic, already carry their definition and are left alone.)"""
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("__orig_bases__", ())
        items = [
            base.__args__[0]
            for base in declared
            if getattr(base, "__origin__", None) is CountedConnection
            and not isinstance(base.__args__[0], TypeVar)
        ]
        if not items or "__strawberry_definition__" in cls.__dict__:
            return
        item: Any = items[0]
        name = item.__strawberry_definition__.name
        edge: Any = strawberry.type(
            name=f"{name}Edge",
            description=f"{_a(name)} on a page of the list, with its cursor.",
        )(types.new_class(f"{name}Edge", (Edge[item],)))
        cls.edge_type = edge
        cls.__annotations__ = {**inspect.get_annotations(cls), "edges": list[edge]}
        cls.edges = strawberry.field(
            description=f"The {name} items of this page in the list's order, each with its cursor."
        )

    @strawberry.field(description="How many items the whole list holds, across all pages.")
    async def total_count(self) -> int:
        return await self.counter()

    @classmethod
    async def resolve_connection(
        cls,
        query: QuerySet[Any],
        *,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        counter: Counter | None = None,
    ) -> Self:
        """The page of an ordered query the arguments ask for, counted by ``counter`` (the
        query's own count by default)."""
        cursors = Cursors.of(info, Ordering.of(query))
        window = cursors.window(first=first, after=after, last=last, before=before)
        counted = counter or query.count
        joined = query.model in REGISTRY and not query._group_bys
        if joined:
            # As every loader hands rows out: with the relations their rules read. (A grouped
            # query cannot join them on PostgreSQL; its rows fetch them when judged.)
            query = query.select_related(*REGISTRY[query.model].joins)
        page = await read_page(query, window)
        if joined:
            info.context.loaders.remember(page.rows)
        return cls.of_page(page, cursors, counted)

    @classmethod
    def of_page(cls, page: Page, cursors: Cursors, counter: Counter) -> Self:
        """A connection from a page read elsewhere (a loader's, a merged list's).

        Built directly and with cursors made only when asked for: on a page of 50 mentors
        with two nested lists each, resolving generic types and signing cursors nobody
        selected cost more than the SQL.
        """
        edge = cls.edge_type
        return cls(
            edges=[edge(node=row, cursors=cursors) for row in page.rows],
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                rows=page.rows,
                cursors=cursors,
            ),
            counter=counter,
        )


Connection = TypeVar("Connection", bound=CountedConnection[Any])


def nested_page(
    connection: type[Connection],
    info: Info,
    pages: NestedPages[Any],
    parent: int,
    counter: Counter,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Any:
    """A parent's page of a nested list, read with every other parent's in one query; at once
    when the page's loader already read it (see ``now_or_later``)."""
    cursors = Cursors.of(info, pages.ordering)
    window = cursors.window(first=first, after=after, last=last, before=before)
    found = now_or_later(pages.loader, (parent, window))
    return then(found, lambda page: connection.of_page(page, cursors, counter))

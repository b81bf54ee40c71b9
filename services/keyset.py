"""Keyset pages: a list goes on after the sort values of a row, never at an offset.

A list's order is the one its service gives the query (``order_by``), and it ends with the
primary key, so no two rows tie. The page after a row holds the rows whose sort values come
after that row's, as a WHERE on those values: rows inserted or deleted while a client pages
neither repeat nor vanish, and a deep page costs what the first one does.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from pypika_tortoise.enums import Order
from tortoise import connections
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

M = TypeVar("M", bound=Model)
T = TypeVar("T")
# The sort values of one row, in its order's keys.
Position = tuple[Any, ...]


def _where(name: str, lookup: str, value: Any) -> Q:
    """``Q(name__lookup=value)`` for a name known only at run time."""
    condition: dict[str, Any] = {f"{name}__{lookup}" if lookup else name: value}
    return Q(**condition)


@dataclass(frozen=True)
class SortKey:
    """A column (or an annotation of the query) the list is sorted by, and which way."""

    name: str
    descending: bool
    nullable: bool

    @property
    def spelled(self) -> str:
        """As ``order_by`` takes it."""
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True)
class Ordering:
    """The total order of a list: its sort keys, the primary key last.

    ``nulls_high`` says where the database puts NULL: above every value on PostgreSQL, below
    on SQLite. The order as the service wrote it stands; a page after a NULL follows it.
    """

    table: str
    keys: tuple[SortKey, ...]
    nulls_high: bool

    @classmethod
    def of(cls, query: QuerySet[Any]) -> Ordering:
        """The order a service gave ``query``: the declaration its pages follow."""
        return cls.declared(query.model, query._orderings, annotated=set(query._annotations))

    @classmethod
    def declared(
        cls,
        model: type[Model],
        orderings: Sequence[tuple[str, Any]] | Sequence[str],
        *,
        annotated: set[str] | frozenset[str] = frozenset(),
    ) -> Ordering:
        """An order from ``order_by``'s spelling ("-created_at", "-id") or a query's own."""
        meta = model._meta
        keys = []
        for ordering in orderings:
            if isinstance(ordering, str):
                name, descending = ordering.lstrip("-"), ordering.startswith("-")
            else:
                name, descending = ordering[0], ordering[1] == Order.desc
            field = meta.fields_map.get(name)
            if field is None and name not in annotated:
                raise ValueError(f"{model.__name__} cannot page on {name!r}: not a column")
            nullable = name in annotated or bool(field is not None and field.null)
            keys.append(SortKey(name, descending, nullable))
        if not keys or keys[-1].name not in ("id", meta.pk_attr):
            raise ValueError(f"{model.__name__}'s order must end with its primary key")
        dialect = connections.get(meta.default_connection or "default").capabilities.dialect
        return cls(meta.db_table, tuple(keys), nulls_high=dialect == "postgres")

    @cached_property
    def fingerprint(self) -> str:
        """Names this order (its table and keys) without showing them, so a cursor of
        another list or another order is told apart."""
        spelled = ",".join(key.spelled for key in self.keys)
        return hashlib.sha256(f"{self.table}:{spelled}".encode()).hexdigest()[:12]

    def reversed(self) -> Ordering:
        keys = tuple(SortKey(k.name, not k.descending, k.nullable) for k in self.keys)
        return Ordering(self.table, keys, self.nulls_high)

    def order_by(self) -> tuple[str, ...]:
        return tuple(key.spelled for key in self.keys)

    def position_of(self, row: Any) -> Position:
        return tuple(getattr(row, key.name) for key in self.keys)

    def beyond(self, position: Position, *, inclusive: bool = False) -> Q:
        """The rows after ``position`` in this order (and the row at it when ``inclusive``):
        ``(a, b, id) > (x, y, z)`` spelled out key by key, as each key's direction and NULLs
        need."""
        assert len(position) == len(self.keys)
        alternatives: list[Q] = []
        equal_so_far: list[Q] = []
        for key, value in zip(self.keys, position, strict=True):
            past = self._past(key, value)
            if past is not None:
                alternatives.append(Q(*equal_so_far, past) if equal_so_far else past)
            equal_so_far.append(
                _where(key.name, "isnull", True) if value is None else _where(key.name, "", value)
            )
        if inclusive:
            alternatives.append(Q(*equal_so_far))
        return Q(*alternatives, join_type=Q.OR)

    def _past(self, key: SortKey, value: Any) -> Q | None:
        """The rows whose ``key`` comes strictly after ``value``; None when none can."""
        nulls_last = self.nulls_high != key.descending
        if value is None:
            return None if nulls_last else _where(key.name, "isnull", False)
        past = _where(key.name, "lt" if key.descending else "gt", value)
        if key.nullable and nulls_last:
            return past | _where(key.name, "isnull", True)
        return past


@dataclass(frozen=True)
class Window:
    """Which rows of an ordered list a page holds: after and before positions (either may be
    absent), how many, and from which end (``from_end`` for ``last``)."""

    size: int
    after: Position | None = None
    before: Position | None = None
    from_end: bool = False

    def between(self, query: QuerySet[M], ordering: Ordering) -> QuerySet[M]:
        """``query`` cut to the rows between the cursors."""
        if self.after is not None:
            query = query.filter(ordering.beyond(self.after))
        if self.before is not None:
            query = query.filter(ordering.reversed().beyond(self.before))
        return query

    def reading(self, ordering: Ordering) -> Ordering:
        """The order rows are read in: the list's own, or reversed to read from the end."""
        return ordering.reversed() if self.from_end else ordering

    def sides(self, query: QuerySet[M], ordering: Ordering) -> dict[str, QuerySet[M]]:
        """For each cursor given, the rows on its far side from the page (at or before
        ``after``, at or after ``before``): whether items precede or follow the page."""
        found = {}
        if self.after is not None:
            found["after"] = query.filter(ordering.reversed().beyond(self.after, inclusive=True))
        if self.before is not None:
            found["before"] = query.filter(ordering.beyond(self.before, inclusive=True))
        return found


@dataclass(frozen=True)
class Page:
    """The rows of a window in the list's order, and whether rows lie on either side."""

    rows: list[Any]
    has_previous: bool
    has_next: bool

    @classmethod
    def cut(cls, window: Window, read: list[Any], sides: set[str]) -> Page:
        """A page from rows read in the window's direction (one more than it holds, to tell
        whether more follow) and the cursors with rows on their far side (see ``sides``)."""
        more = len(read) > window.size
        rows = read[: window.size]
        if window.from_end:
            rows.reverse()
            return cls(rows, has_previous=more or "after" in sides, has_next="before" in sides)
        return cls(rows, has_previous="after" in sides, has_next=more or "before" in sides)


async def read_page(query: QuerySet[M], window: Window) -> Page:
    """One page of an ordered query: the window's rows (plus one, to know whether more follow),
    and, for each cursor given, whether any row lies on its other side."""
    ordering = Ordering.of(query)
    reading = window.reading(ordering).order_by()
    read = list(await window.between(query, ordering).order_by(*reading).limit(window.size + 1))
    sides = {side for side, rows in window.sides(query, ordering).items() if await rows.exists()}
    return Page.cut(window, read, sides)


class MergedLists:
    """Lists of different tables read as one (a person's partner shares and legal
    disclosures): each in its own order ``(at, id)``, merged by ``at``; at equal times the
    list given first comes first. A row's position is ``(at, list index, id)``."""

    def __init__(self, queries: Sequence[QuerySet[Any]]) -> None:
        self.queries = queries
        self.orderings = [Ordering.of(query) for query in queries]
        directions = {tuple(key.descending for key in o.keys) for o in self.orderings}
        assert len(directions) == 1 and all(len(o.keys) == 2 for o in self.orderings)
        first = self.orderings[0]
        self.ordering = Ordering(
            "+".join(o.table for o in self.orderings),
            (first.keys[0], SortKey("list", False, False), first.keys[1]),
            first.nulls_high,
        )
        self._index = {query.model: index for index, query in enumerate(queries)}
        assert len(self._index) == len(queries), "one list per table"

    def position_of(self, row: Any) -> Position:
        index = self._index[type(row)]
        at, pk = self.orderings[index].position_of(row)
        return at, index, pk

    def _beyond(
        self, index: int, position: Position, *, backwards: bool, inclusive: bool = False
    ) -> Q:
        """The rows of list ``index`` beyond a merged position, reading either way."""
        at, cursor_index, pk = position
        ordering = self.orderings[index].reversed() if backwards else self.orderings[index]
        if index == cursor_index:
            return ordering.beyond((at, pk), inclusive=inclusive)
        by_time = Ordering(ordering.table, ordering.keys[:1], ordering.nulls_high)
        # At the cursor's own time, a later list's rows come after it (reading forwards).
        return by_time.beyond((at,), inclusive=(index > cursor_index) != backwards)

    async def read_page(self, window: Window) -> Page:
        """The window of the merged list: at most ``size + 1`` rows of each list, merged."""
        read: list[Any] = []
        sides: set[str] = set()
        for index, query in enumerate(self.queries):
            mine = query
            if window.after is not None:
                mine = mine.filter(self._beyond(index, window.after, backwards=False))
            if window.before is not None:
                mine = mine.filter(self._beyond(index, window.before, backwards=True))
            reading = window.reading(self.orderings[index]).order_by()
            read.extend(await mine.order_by(*reading).limit(window.size + 1))
            for side, cursor, backwards in (
                ("after", window.after, True),
                ("before", window.before, False),
            ):
                if cursor is not None and side not in sides:
                    far = self._beyond(index, cursor, backwards=backwards, inclusive=True)
                    if await query.filter(far).exists():
                        sides.add(side)
        # Sorted by the least significant key first: Python's sort is stable.
        positions = {id(row): self.position_of(row) for row in read}
        for at, key in reversed(list(enumerate(window.reading(self.ordering).keys))):

            def value(row: Any, at: int = at) -> Any:
                return positions[id(row)][at]

            read.sort(key=value, reverse=key.descending)
        return Page.cut(window, read[: window.size + 1], sides)

    async def count(self) -> int:
        return sum([await query.count() for query in self.queries])


class _Reversed:
    """A sort value compared the other way, for a descending key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    __hash__ = None  # type: ignore[assignment]


def page_of_sorted(
    items: Sequence[T], position_of: Callable[[T], Position], ordering: Ordering, window: Window
) -> Page:
    """The window of a list already sorted in Python by ``ordering`` (whose keys hold no
    NULL): what ``beyond`` asks of SQL, by comparing positions."""

    def rank(position: Position) -> tuple[Any, ...]:
        return tuple(
            _Reversed(value) if key.descending else value
            for key, value in zip(ordering.keys, position, strict=True)
        )

    ranks = [rank(position_of(item)) for item in items]
    start = 0 if window.after is None else bisect.bisect_right(ranks, rank(window.after))
    end = len(items) if window.before is None else bisect.bisect_left(ranks, rank(window.before))
    inside = list(items[start:end])
    if window.from_end:
        inside.reverse()
    sides = {side for side, found in (("after", start > 0), ("before", end < len(items))) if found}
    return Page.cut(window, inside[: window.size + 1], sides)

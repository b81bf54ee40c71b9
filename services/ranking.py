"""Batched reads for nested lists: the first rows of many parents, or their counts, in one query.

A page of 50 mentors each showing their 3 newest posts is one windowed query, not 50, on
SQLite and PostgreSQL alike (both have ROW_NUMBER).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pypika_tortoise.analytics import RowNumber
from pypika_tortoise.enums import Order
from pypika_tortoise.queries import Table
from pypika_tortoise.terms import Field
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.access.decisions import RelatedRows, fetch_joins, rows_by_pk
from services.keyset import Ordering, Page, Window

M = TypeVar("M", bound=Model)


async def top_rows_per(
    query: QuerySet[M],
    parent_column: str,
    parent_ids: Sequence[int],
    *,
    ordering: Ordering,
    window: Window,
    related: RelatedRows = rows_by_pk,
) -> list[Page]:
    """For each parent id (in the order asked), its page of ``query`` in ``ordering``: the
    same window of every parent's list, read in one windowed query (and, for each cursor
    given, one more telling which parents have rows beyond it). The relations the rows'
    rules read come through ``related`` (``fetch_joins``)."""
    keys = sorted({int(i) for i in parent_ids})
    buckets: dict[int, list[M]] = {key: [] for key in keys}
    sides: dict[int, set[str]] = {key: set() for key in keys}
    if keys and window.size >= 0:
        mine = query.filter(**{f"{parent_column}__in": keys})
        # Columns named with their table: a row rule may join another table to the query.
        table = Table(query.model._meta.db_table)
        reading = window.reading(ordering).keys
        rank = RowNumber().over(Field(parent_column, table=table))
        for key in reading:
            direction = Order.desc if key.descending else Order.asc
            rank = rank.orderby(Field(key.name, table=table), order=direction)
        ranked = window.between(mine, ordering).annotate(row_rank=rank)
        ranked._choose_db_if_not_chosen()
        ranked._make_query()
        # The sort values of a cursor stay parameters; the rest is our own integers.
        inner, values = ranked.query.get_parameterized_sql()
        order_sql = ", ".join(
            f'"{key.name}" {"DESC" if key.descending else "ASC"}' for key in reading
        )
        model: type[M] = query.model
        db = ranked._db
        rows: list[M] = await db.executor_class(model=model, db=db).execute_select(
            f"SELECT * FROM ({inner}) AS ranked WHERE row_rank <= {int(window.size) + 1} "
            f'ORDER BY "{parent_column}", {order_sql}',
            values,
        )
        # As every loader hands rows out: with the relations their rules read.
        await fetch_joins(rows, related)
        for row in rows:
            buckets[getattr(row, parent_column)].append(row)
        for side, far in window.sides(mine, ordering).items():
            found: list[Any] = await far.distinct().values_list(parent_column, flat=True)
            for parent in found:
                sides[int(parent)].add(side)
    return [
        Page.cut(window, list(buckets.get(int(i), [])), sides.get(int(i), set()))
        for i in parent_ids
    ]


async def counts_per(
    query: QuerySet[M], parent_column: str, parent_ids: Sequence[int]
) -> list[int]:
    """How many rows of ``query`` each parent has, in one grouped query."""
    grouped = (
        await query.filter(**{f"{parent_column}__in": list(set(parent_ids))})
        .annotate(row_count=Count("id"))
        .group_by(parent_column)
        .values_list(parent_column, "row_count")
    )
    counts = {int(parent): int(total) for parent, total in grouped}
    return [counts.get(int(i), 0) for i in parent_ids]

"""Batched reads for nested lists: the first rows of many parents, or their counts, in one query.

A page of 50 mentors each showing their 3 newest posts is one windowed query, not 50, on
SQLite and PostgreSQL alike (both have ROW_NUMBER).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pypika_tortoise.analytics import RowNumber
from pypika_tortoise.enums import Order
from pypika_tortoise.queries import Table
from pypika_tortoise.terms import Field
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.access.decisions import fetch_joins

M = TypeVar("M", bound=Model)


async def top_rows_per(
    query: QuerySet[M],
    parent_column: str,
    parent_ids: Sequence[int],
    *,
    order: Sequence[str],
    limit: int,
) -> list[list[M]]:
    """For each parent id (in the order asked), its first ``limit`` rows of ``query``,
    ordered by the ``order`` columns descending (newest first)."""
    keys = sorted({int(i) for i in parent_ids})
    buckets: dict[int, list[M]] = {key: [] for key in keys}
    if keys and limit > 0:
        # Columns named with their table: a row rule may join another table to the query.
        table = Table(query.model._meta.db_table)
        rank = RowNumber().over(Field(parent_column, table=table))
        for column in order:
            rank = rank.orderby(Field(column, table=table), order=Order.desc)
        ranked = query.filter(**{f"{parent_column}__in": keys}).annotate(row_rank=rank)
        # Inlined by pypika from our own integers and enum values: nothing from the caller.
        inner = ranked.sql(params_inline=True)
        order_sql = ", ".join(f'"{column}" DESC' for column in order)
        model: type[M] = query.model
        rows: list[M] = await model.raw(
            f"SELECT * FROM ({inner}) AS ranked WHERE row_rank <= {int(limit)} "
            f'ORDER BY "{parent_column}", {order_sql}'
        )
        # As every loader hands rows out: with the relations their rules read.
        await fetch_joins(rows)
        for row in rows:
            buckets[getattr(row, parent_column)].append(row)
    return [buckets.get(int(i), []) for i in parent_ids]


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

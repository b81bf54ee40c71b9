"""Per-request DataLoaders, so lists never cost one query per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TypeVar

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.accounts import User

M = TypeVar("M", bound=Model)


async def rows_by_id(model: type[M], ids: Sequence[int]) -> list[M | None]:
    """Load rows for ``ids`` in one query, in the order asked, None where missing."""
    found = {row.pk: row for row in await model.filter(pk__in=list(set(ids)))}
    return [found.get(i) for i in ids]


def group_by(rows: Iterable[M], keys: Sequence[int], attr: str) -> list[list[M]]:
    buckets: dict[int, list[M]] = {key: [] for key in keys}
    for row in rows:
        buckets.setdefault(getattr(row, attr), []).append(row)
    return [buckets[key] for key in keys]


class Loaders:
    """Created afresh for each request (and each WebSocket message), never shared."""

    @cached_property
    def user(self) -> DataLoader[int, User | None]:
        return DataLoader(lambda ids: rows_by_id(User, ids))

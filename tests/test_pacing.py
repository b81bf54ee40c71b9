"""Execution hands the event loop back each slice of CPU time, so the request deadline can
fire inside a long synchronous completion (``resolvers.pacing``, ``RowsAreValues``)."""

from __future__ import annotations

import asyncio

import pytest
import strawberry

from resolvers import pacing
from resolvers.schema import RowsAreValues

GROUPS = 100
ITEMS_EACH = 100


@strawberry.type
class Item:
    number: int
    name: str
    twice: int


@strawberry.type
class Group:
    number: int

    @strawberry.field
    def items(self) -> list[Item]:
        """Plain objects, resolved at once: completing them never awaits anything."""
        first = self.number * ITEMS_EACH
        return [
            Item(number=n, name=f"item {n}", twice=2 * n) for n in range(first, first + ITEMS_EACH)
        ]


@strawberry.type
class Query:
    @strawberry.field
    def groups(self) -> list[Group]:
        """A page of pages, the shape of mentors and their posts: 10 000 objects in all."""
        return [Group(number=n) for n in range(GROUPS)]


SCHEMA = strawberry.Schema(query=Query, execution_context_class=RowsAreValues)
ALL_ITEMS = "{ groups { number items { number name twice } } }"


async def test_a_long_synchronous_completion_lets_other_tasks_run() -> None:
    turns = 0
    finished = False

    async def bystander() -> None:
        nonlocal turns
        while not finished:
            await asyncio.sleep(0)
            turns += 1

    running = asyncio.create_task(bystander())
    await asyncio.sleep(0)
    turns_before = turns
    result = await SCHEMA.execute(ALL_ITEMS)
    finished = True
    await running

    assert result.errors is None
    assert result.data is not None
    assert len(result.data["groups"]) == GROUPS
    assert result.data["groups"][-1]["items"][-1] == {
        "number": 9999,
        "name": "item 9999",
        "twice": 19998,
    }
    # Without slices the bystander got one turn in all (Strawberry's own await), here one
    # each millisecond or so.
    assert turns - turns_before >= 3


async def test_the_deadline_fires_inside_a_long_synchronous_completion() -> None:
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.001):
            await SCHEMA.execute(ALL_ITEMS)


@strawberry.type
class Fragile:
    number: int

    @strawberry.field
    def checked(self) -> int:
        """Fails on every seventh item: a non-null field, so its item becomes null."""
        if self.number % 7 == 0:
            raise ValueError(f"item {self.number} failed")
        return self.number

    @strawberry.field
    async def later(self) -> int:
        return self.number


@strawberry.type
class FragileQuery:
    @strawberry.field
    def nullable_items(self) -> list[Fragile | None]:
        return [Fragile(number=n) for n in range(GROUPS * 10)]

    @strawberry.field
    def required_items(self) -> list[Fragile] | None:
        return [Fragile(number=n) for n in range(GROUPS * 10)]


PACED = strawberry.Schema(query=FragileQuery, execution_context_class=RowsAreValues)
UNPACED = strawberry.Schema(query=FragileQuery)
FRAGILE = "{ nullableItems { number checked later } requiredItems { number checked } }"


async def test_items_completed_in_later_turns_fail_and_bubble_as_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every slice spent: every object item is put off to a later turn.
    monkeypatch.setattr(pacing.LOOP_SHARE, "slice_seconds", -1.0)

    paced, unpaced = await PACED.execute(FRAGILE), await UNPACED.execute(FRAGILE)

    assert paced.data == unpaced.data
    assert paced.data is not None
    assert paced.data["requiredItems"] is None
    assert paced.data["nullableItems"][7] is None
    assert paced.data["nullableItems"][8] == {"number": 8, "checked": 8, "later": 8}
    assert sorted(str(e.path) for e in paced.errors or []) == sorted(
        str(e.path) for e in unpaced.errors or []
    )

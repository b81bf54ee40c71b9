"""Resolving at once what a request already loaded, and waiting only for what it has not."""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import pytest
from strawberry.dataloader import DataLoader

from models.accounts import User
from resolvers.loaders import is_pending, now_or_later, then


def _doubling_loader(calls: list[list[int]]) -> DataLoader[int, int]:
    async def load(keys: Sequence[int]) -> list[int]:
        calls.append(list(keys))
        return [key * 2 for key in keys]

    return DataLoader(load)


async def test_a_key_not_loaded_yet_is_awaited_and_then_answered_at_once() -> None:
    calls: list[list[int]] = []
    loader = _doubling_loader(calls)

    pending = now_or_later(loader, 21)
    assert inspect.isawaitable(pending)
    assert await pending == 42

    assert now_or_later(loader, 21) == 42
    assert calls == [[21]]


async def test_a_failed_load_is_not_served_from_the_cache_as_a_value() -> None:
    async def failing(keys: Sequence[int]) -> list[int]:
        raise LookupError("no such rows")

    loader: DataLoader[int, int] = DataLoader(failing)
    first = now_or_later(loader, 1)
    assert inspect.isawaitable(first)
    with pytest.raises(LookupError):
        await first
    assert inspect.isawaitable(now_or_later(loader, 1))


async def test_then_applies_at_once_or_after_the_wait() -> None:
    assert then(20, lambda value: value + 1) == 21

    async def later() -> int:
        return 40

    follow_up = then(later(), lambda value: value + 2)
    assert inspect.isawaitable(follow_up)
    assert await follow_up == 42


async def test_a_row_is_a_value_though_tortoise_makes_it_awaitable() -> None:
    row = User(email="ada@example.com", name="Ada")
    assert inspect.isawaitable(row)
    assert not is_pending(row)

    async def later() -> int:
        return 1

    coroutine = later()
    assert is_pending(coroutine)
    assert await coroutine == 1
    assert not is_pending("text")

"""The time the service acts on: one clock per process, which tests may move.

Every expiry, retention and timestamp the code decides goes through ``now()``, so a test can
put the whole process days ahead (``moved_clock``) instead of editing rows to look old.
Columns Tortoise fills itself (``auto_now_add``) keep the real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class MovedClock:
    """Real time shifted by ``offset``: time still passes, from wherever a test put it."""

    offset: timedelta = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> None:
        self.offset += by


_current: Clock = SystemClock()


def now() -> datetime:
    return _current.now()


@contextmanager
def using(clock: Clock) -> Iterator[Clock]:
    """Run the process on ``clock`` until the block ends."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous


@contextmanager
def moved_clock(offset: timedelta = timedelta()) -> Iterator[MovedClock]:
    with using(MovedClock(offset)) as clock:
        assert isinstance(clock, MovedClock)
        yield clock

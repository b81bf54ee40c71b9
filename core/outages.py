"""While a dependency (Redis) is away: said once when it goes and once when it is back, and
tried again at a measured pace, never on every request and never in a tight loop.

``Outage`` is for a store that requests use (query budgets, throttles): during an outage the
store is tried again once in each retry interval, and the other requests go to a fallback.
``Backoff`` is for a reader that holds a connection (notifications, the task queue): the wait
between its reconnects doubles up to a cap, with jitter so that processes cut off by one
restart do not all come back in the same instant.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from redis.backoff import EqualJitterBackoff


class Outage:
    """One dependency as one of its users sees it: up, or down since a failure."""

    def __init__(self, logger: logging.Logger, retry_every: timedelta = timedelta(0)) -> None:
        self._logger = logger
        self._retry_every = retry_every.total_seconds()
        self._retry_at: float | None = None

    @property
    def down(self) -> bool:
        return self._retry_at is not None

    def worth_trying(self) -> bool:
        """Up, or down long enough that one request may try it again."""
        return self._retry_at is None or time.monotonic() >= self._retry_at

    def failed(self, message: str, *args: object) -> None:
        """Note a failure; ``message`` is logged only for the first of an outage."""
        if self._retry_at is None:
            self._logger.warning(message, *args)
        self._retry_at = time.monotonic() + self._retry_every

    def answered(self, message: str, *args: object) -> None:
        """Note a success; ``message`` is logged only when it ends an outage."""
        if self._retry_at is not None:
            self._logger.warning(message, *args)
            self._retry_at = None


class Backoff:
    """Waits between reconnects: ``first`` doubling up to ``last``, each drawn between half
    of that and all of it (redis-py's equal jitter), and ``first`` again after ``reset``."""

    def __init__(self, first: timedelta, last: timedelta) -> None:
        self._policy = EqualJitterBackoff(cap=last.total_seconds(), base=first.total_seconds())
        self._failures = 0

    def next_wait(self) -> float:
        wait = self._policy.compute(self._failures)
        self._failures += 1
        return wait

    def reset(self) -> None:
        self._failures = 0

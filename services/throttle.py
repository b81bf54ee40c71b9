"""Counting failures per key in a time window: Redis when configured, process memory when not.

Both implement ``Throttle``; the embedded default uses the in-memory one because it is a
single process, production shares counters between processes through Redis.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class Budget:
    limit: int
    window: timedelta


class Throttle(Protocol):
    async def retry_after(self, key: str, budget: Budget) -> int:
        """Seconds until ``key`` may try again, 0 when it is within its budget."""

    async def spend(self, key: str, budget: Budget) -> None:
        """Count one attempt against ``key``; the window starts at the first one."""

    async def forgive(self, key: str) -> None:
        """Forget the attempts counted against ``key``."""


class RedisThrottle:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}throttle:"

    async def retry_after(self, key: str, budget: Budget) -> int:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(name)
            pipe.pttl(name)
            count, ttl_ms = await pipe.execute()
        if count is None or int(count) < budget.limit:
            return 0
        return max(1, math.ceil(ttl_ms / 1000))

    async def spend(self, key: str, budget: Budget) -> None:
        name = self._prefix + key
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.pexpire(name, int(budget.window.total_seconds() * 1000), nx=True)
            await pipe.execute()

    async def forgive(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


class MemoryThrottle:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}

    def _live(self, key: str) -> tuple[int, float] | None:
        entry = self._windows.get(key)
        if entry and entry[1] <= time.monotonic():
            del self._windows[key]
            return None
        return entry

    async def retry_after(self, key: str, budget: Budget) -> int:
        entry = self._live(key)
        if entry is None or entry[0] < budget.limit:
            return 0
        return max(1, math.ceil(entry[1] - time.monotonic()))

    async def spend(self, key: str, budget: Budget) -> None:
        entry = self._live(key)
        if entry is None:
            self._windows[key] = (1, time.monotonic() + budget.window.total_seconds())
        else:
            self._windows[key] = (entry[0] + 1, entry[1])

    async def forgive(self, key: str) -> None:
        self._windows.pop(key, None)

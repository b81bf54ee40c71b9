"""Counting failures per key in a time window: Redis when configured, process memory when not.

Both implement ``core.runtime.Throttle``; the embedded default uses the in-memory one because
it is a single process, production shares counters between processes through Redis. A Redis
that cannot be reached is ``ThrottleUnavailable``, for each guard to decide what that means.
"""

from __future__ import annotations

import math
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.runtime import Budget, ThrottleUnavailable

# Decrement, never below zero, and never bring back an expired window.
_GIVE_BACK = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


class RedisThrottle:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}throttle:"
        self._give_back = redis.register_script(_GIVE_BACK)

    async def take(self, key: str, budget: Budget) -> int:
        name = self._prefix + key
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.pexpire(name, int(budget.window.total_seconds() * 1000), nx=True)
                pipe.pttl(name)
                count, _, ttl_ms = await pipe.execute()
        except RedisError as error:
            raise ThrottleUnavailable(type(error).__name__) from error
        if int(count) <= budget.limit:
            return 0
        return max(1, math.ceil(ttl_ms / 1000))

    async def give_back(self, key: str) -> None:
        await self._give_back(keys=[self._prefix + key])

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

    async def take(self, key: str, budget: Budget) -> int:
        entry = self._live(key)
        count, ends = entry or (0, time.monotonic() + budget.window.total_seconds())
        self._windows[key] = (count + 1, ends)
        if count + 1 <= budget.limit:
            return 0
        return max(1, math.ceil(ends - time.monotonic()))

    async def give_back(self, key: str) -> None:
        entry = self._live(key)
        if entry is not None and entry[0] > 0:
            self._windows[key] = (entry[0] - 1, entry[1])

    async def forgive(self, key: str) -> None:
        self._windows.pop(key, None)

"""Counting failures per key in a time window, and the different members a key saw in one
(``tally``): Redis when configured, process memory when not.

Both implement ``core.runtime.Throttle``; the embedded default uses the in-memory one because
it is a single process, production shares counters between processes through Redis. A Redis
that cannot be reached is ``ThrottleUnavailable`` to ``RedisThrottle``'s caller;
``ResilientThrottle``, what production uses, counts in process then instead, with a smaller
share of each limit, so log-ins and sign-ups keep answering and stay guarded.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import clock, limits
from core.outages import Outage
from core.runtime import Budget, Tally, ThrottleUnavailable

logger = logging.getLogger("mentor_api.throttle")

T = TypeVar("T")

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
        try:
            await self._give_back(keys=[self._prefix + key])
        except RedisError as error:
            raise ThrottleUnavailable(type(error).__name__) from error

    async def forgive(self, key: str) -> None:
        try:
            await self._redis.delete(self._prefix + key)
        except RedisError as error:
            raise ThrottleUnavailable(type(error).__name__) from error

    async def tally(self, key: str, member: str, window: timedelta) -> Tally:
        """A sorted set of members scored by their latest sighting, cut to the window in the
        same transaction, so every process adds to, and reads, one count."""
        name = self._prefix + key
        now, seconds = clock.now().timestamp(), window.total_seconds()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(name, {member: now})
                pipe.zremrangebyscore(name, "-inf", f"({now - seconds}")
                pipe.zcard(name)
                pipe.zrange(name, 0, 0, withscores=True)
                pipe.pexpire(name, int(seconds * 1000))
                _, _, count, earliest, _ = await pipe.execute()
        except RedisError as error:
            raise ThrottleUnavailable(type(error).__name__) from error
        return Tally(int(count), datetime.fromtimestamp(earliest[0][1], UTC))


class MemoryThrottle:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._sightings: dict[str, dict[str, datetime]] = {}

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

    async def tally(self, key: str, member: str, window: timedelta) -> Tally:
        now = clock.now()
        seen = self._sightings.setdefault(key, {})
        seen[member] = now
        for name, at in list(seen.items()):
            if at < now - window:
                del seen[name]
        return Tally(len(seen), min(seen.values()))


class ResilientThrottle:
    """Redis's counters, and while Redis is away this process's, each limit divided by
    ``FALLBACK_THROTTLE_DIVISOR``: a few processes counting apart stay near the shared limit,
    so an outage neither locks everyone out nor lets a guesser through. Redis is tried again
    every ``THROTTLE_STORE_RETRY_INTERVAL``; what was counted in process is not carried over
    (it is at most one outage's share)."""

    def __init__(self, store: RedisThrottle) -> None:
        self._store = store
        self._local = MemoryThrottle()
        self._outage = Outage(logger, limits.THROTTLE_STORE_RETRY_INTERVAL)

    async def take(self, key: str, budget: Budget) -> int:
        share = Budget(max(1, budget.limit // limits.FALLBACK_THROTTLE_DIVISOR), budget.window)
        return await self._either(
            lambda: self._store.take(key, budget), lambda: self._local.take(key, share)
        )

    async def give_back(self, key: str) -> None:
        await self._either(lambda: self._store.give_back(key), lambda: self._local.give_back(key))

    async def forgive(self, key: str) -> None:
        await self._either(lambda: self._store.forgive(key), lambda: self._local.forgive(key))

    async def tally(self, key: str, member: str, window: timedelta) -> Tally:
        return await self._either(
            lambda: self._store.tally(key, member, window),
            lambda: self._local.tally(key, member, window),
        )

    async def _either(
        self, shared: Callable[[], Awaitable[T]], in_process: Callable[[], Awaitable[T]]
    ) -> T:
        if self._outage.worth_trying():
            try:
                async with asyncio.timeout(limits.MAX_THROTTLE_WAIT_MS / 1000):
                    answer = await shared()
            except (ThrottleUnavailable, RedisError, OSError, TimeoutError) as error:
                self._outage.failed(
                    "throttles: Redis unreachable (%s); counting in process until it answers",
                    type(error.__cause__ or error).__name__,
                )
            else:
                self._outage.answered("throttles: Redis answers again; counts are shared")
                return answer
        return await in_process()

"""Query budgets: a leaky bucket of query cost per client, in Redis when configured and in
process memory when not (both implement ``core.runtime.QueryBudgets``).

Redis keeps one bucket per client for every process, changed by one Lua script per operation
(restore, check and take in one round trip, on Redis's own clock, so no two processes can
both take the last points and their clocks need not agree). While Redis cannot be reached,
``ResilientBudgets`` answers as ``Settings.budgets_without_redis`` says, and says so in the
log once, not on every request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import limits
from core.errors import ErrorCode
from core.outages import Outage
from core.runtime import BucketState
from core.settings import ClientClass, QueryBudget, WhenRedisDown

logger = logging.getLogger("mentor_api.budgets")

# KEYS[1]: the bucket. ARGV: capacity, restore rate (points a second), cost (0 only reads).
# A missing bucket is full; one that would be full again expires, so idle clients cost nothing.
_SPEND = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'available', 'at')
local available = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
available = math.min(capacity, available + math.max(0, now - at) * rate / 1000)
local granted = 0
if cost <= available then
  available = available - cost
  granted = 1
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - available) * 1000 / rate) + 1000)
return {granted, tostring(available)}
"""


class BudgetStoreUnavailable(Exception):
    """Redis did not answer (refused, failed, or slower than ``MAX_BUDGET_WAIT_MS``)."""


class RedisBudgets:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._prefix = f"{prefix}budget:"
        self._spend = redis.register_script(_SPEND)

    async def spend(self, key: str, cost: int, budget: QueryBudget) -> BucketState:
        """As ``QueryBudgets.spend``, but raises ``BudgetStoreUnavailable``."""
        try:
            async with asyncio.timeout(limits.MAX_BUDGET_WAIT_MS / 1000):
                granted, available = await self._spend(
                    keys=[self._prefix + key], args=[budget.capacity, budget.restore_rate, cost]
                )
        except (RedisError, OSError, TimeoutError) as error:
            raise BudgetStoreUnavailable(type(error).__name__) from error
        return BucketState(budget.capacity, float(available), budget.restore_rate, bool(granted))


class MemoryBudgets:
    """The same buckets in this process's memory: the embedded default is one process."""

    def __init__(self) -> None:
        # key -> (available, monotonic time of the last operation), least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def spend(self, key: str, cost: int, budget: QueryBudget) -> BucketState:
        now = time.monotonic()
        available, at = self._buckets.pop(key, (float(budget.capacity), now))
        available = min(budget.capacity, available + (now - at) * budget.restore_rate)
        granted = cost <= available
        if granted:
            available -= cost
        self._buckets[key] = (available, now)
        if len(self._buckets) > limits.MAX_BUDGETS_IN_MEMORY:
            self._buckets.popitem(last=False)
        return BucketState(budget.capacity, available, budget.restore_rate, granted)


class ResilientBudgets:
    """Redis's buckets, and while Redis is away what ``when_down`` says: a conservative share
    of each budget kept in this process (``LOCAL``), no budget (``OPEN``), or no operation
    (``CLOSED``). Redis is tried again every ``BUDGET_STORE_RETRY_INTERVAL``, so only one
    request in each interval waits on it."""

    def __init__(self, store: RedisBudgets, when_down: WhenRedisDown) -> None:
        self._store = store
        self._when_down = when_down
        self._local = MemoryBudgets()
        self._outage = Outage(logger, limits.BUDGET_STORE_RETRY_INTERVAL)

    async def spend(self, key: str, cost: int, budget: QueryBudget) -> BucketState:
        if self._outage.worth_trying():
            try:
                state = await self._store.spend(key, cost, budget)
            except BudgetStoreUnavailable as error:
                self._outage.failed(
                    "query budgets: Redis unreachable (%s); budgets are %s until it answers",
                    error,
                    self._when_down.value,
                )
            else:
                self._outage.answered("query budgets: Redis answers again; budgets are shared")
                return state
        return await self._without_store(key, cost, budget)

    async def _without_store(self, key: str, cost: int, budget: QueryBudget) -> BucketState:
        if self._when_down is WhenRedisDown.OPEN:
            return BucketState(budget.capacity, budget.capacity, budget.restore_rate, True)
        if self._when_down is WhenRedisDown.CLOSED:
            return BucketState(budget.capacity, 0, budget.restore_rate, False)
        share = QueryBudget(
            max(1, budget.capacity // limits.FALLBACK_BUDGET_DIVISOR),
            max(1, budget.restore_rate // limits.FALLBACK_BUDGET_DIVISOR),
        )
        return await self._local.spend(key, cost, share)


@dataclass
class QueryCost:
    """What one operation cost and what its client's bucket holds after it: the response's
    ``extensions.cost``, the rate-limit headers and any count of costs read this."""

    client_class: ClientClass
    requested: int
    bucket: BucketState
    actual: int = 0
    # QUERY_TOO_COMPLEX or RATE_LIMITED when the operation was refused; None when it ran.
    refused: ErrorCode | None = None
    retry_after: int | None = None

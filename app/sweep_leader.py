"""One sweeper at a time across processes: the holder of a Redis lock.

Most sweep steps are safe to run in several processes at once (each claims its rows under a
lock or a conditional update, as the woken tasks that run beside the sweep need anyway), but
not all: an erasure runs as many steps each committed on its own, and two erasing one account
side by side would each write its end. So only the process holding the lease sweeps. The lease
expires after ``LEASE_SECONDS``, so a worker that died hands over by itself; its holder renews
it every third of that while a round runs, and a round that lost it (Redis away, a stalled
process) stops before its next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from core.outages import Outage

logger = logging.getLogger("mentor_api.sweep")

LEASE_SECONDS = 60.0


class Sweeper(Protocol):
    def leading(self) -> contextlib.AbstractAsyncContextManager[bool]:
        """Inside: whether this process sweeps this round."""
        ...

    @property
    def holds(self) -> bool:
        """Whether the round may go on to its next step."""
        ...


class SoleSweeper:
    """The embedded default: one process, which always sweeps."""

    @property
    def holds(self) -> bool:
        return True

    @contextlib.asynccontextmanager
    async def leading(self) -> AsyncIterator[bool]:
        yield True


class SweepLeader:
    """The lease on ``<prefix>sweep-leader``, taken for one round and released after it."""

    def __init__(self, redis: Redis, prefix: str, lease: float = LEASE_SECONDS) -> None:
        self.key = f"{prefix}sweep-leader"
        self._lease = lease
        self._lock = redis.lock(self.key, timeout=lease, blocking=False, thread_local=False)
        self._holds = False
        self._outage = Outage(logger)

    @property
    def holds(self) -> bool:
        return self._holds

    @contextlib.asynccontextmanager
    async def leading(self) -> AsyncIterator[bool]:
        try:
            self._holds = bool(await self._lock.acquire(blocking=False))
        except RedisError as error:  # no Redis, no leader: nobody sweeps until it is back
            self._outage.failed("sweep lease not taken: %s", type(error).__name__)
            self._holds = False
        else:
            self._outage.answered("sweep lease: Redis answers again")
        if not self._holds:
            yield False
            return
        renewing = asyncio.create_task(self._renew())
        try:
            yield True
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if self._holds:
                with contextlib.suppress(LockError, RedisError):  # expired: nothing to hand
                    await self._lock.release()
            self._holds = False

    async def _renew(self) -> None:
        while self._holds:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._lock.reacquire()
            except (LockError, RedisError) as error:
                logger.warning("sweep lease lost: %s", type(error).__name__)
                self._holds = False

"""Advertising partners over HTTP: the JSON POST that ``services.partners`` decides, and the
lock that keeps two processes from sending one person at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from redis.asyncio import Redis

from core import limits
from core.settings import AdvertisingPartner

logger = logging.getLogger("mentor_api.partners")


class HttpPartners:
    """Sends with one aiohttp session for the life of the app. The lock is Redis's when
    several processes share it, else this process's own."""

    def __init__(
        self,
        redis: Redis | None,
        key_prefix: str,
        *,
        wait_seconds: float = limits.MAX_PARTNER_WAIT_SECONDS,
    ) -> None:
        self._redis = redis
        self._key_prefix = key_prefix
        self._wait_seconds = wait_seconds
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=wait_seconds),
            headers={"User-Agent": "mentor-api"},
        )
        self._locks: dict[str, asyncio.Lock] = {}

    async def send(self, partner: AdvertisingPartner, people: list[dict[str, str]]) -> bool:
        body = {"purpose": partner.purpose, "people": people}
        try:
            async with self._session.post(partner.endpoint, json=body) as response:
                await response.read()
                if response.status // 100 == 2:
                    return True
                logger.warning("partner %s answered %s", partner.name, response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            logger.warning("partner %s unreachable: %s", partner.name, type(error).__name__)
        return False

    @asynccontextmanager
    async def exclusive(self, partner: AdvertisingPartner) -> AsyncIterator[None]:
        if self._redis is None:
            async with self._locks.setdefault(partner.name, asyncio.Lock()):
                yield
            return
        # Held for one batch: its reads, one POST (bounded by the wait) and its records.
        hold = 3 * self._wait_seconds
        lock = self._redis.lock(
            f"{self._key_prefix}partners:{partner.name}", timeout=hold, blocking_timeout=hold
        )
        async with lock:
            yield

    async def close(self) -> None:
        await self._session.close()

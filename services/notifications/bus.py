"""The two ``core.runtime.NotificationBus``es: in process, and across processes over Redis.

Both keep this process's subscriptions (``live.Followers``); they differ in how an
announcement reaches the other processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import limits
from core.outages import Backoff, Outage
from services.notifications.live import Followers

logger = logging.getLogger("mentor_api.notifications")


class InProcessBus(Followers):
    """The embedded default: one process, so an announcement goes straight to its
    subscriptions."""

    async def publish(self, user_id: int, notification_ids: Sequence[int]) -> None:
        self.tell(user_id, notification_ids)


class RedisBus(Followers):
    """Several processes: an announcement goes to the user's channel under the run's key
    prefix, and each process reads every channel of the prefix through one pattern
    subscription (ids only, a few bytes each), so nothing is subscribed or unsubscribed as
    subscriptions come and go, and a reconnect has one pattern to restore. After each
    reconnect every subscription here looks again, for what was announced meanwhile."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        check_every: timedelta = limits.SUBSCRIPTION_CHECK_INTERVAL,
    ) -> None:
        super().__init__(check_every)
        self._redis = redis
        self._channels = f"{prefix}notifications:"
        # Its own announcements are told here at once, so its reader skips them.
        self._origin = secrets.token_hex(8)
        self._reading: asyncio.Task[None] | None = None
        self._publishing = Outage(logger)

    async def publish(self, user_id: int, notification_ids: Sequence[int]) -> None:
        self.tell(user_id, notification_ids)
        message = orjson.dumps({"from": self._origin, "ids": list(notification_ids)})
        try:
            async with asyncio.timeout(limits.MAX_PUBLISH_WAIT_SECONDS):
                await self._redis.publish(f"{self._channels}{user_id}", message)
        except (RedisError, OSError, TimeoutError) as error:
            self._publishing.failed(
                "notifications: announcing on Redis failed (%s)", type(error).__name__
            )
        else:
            self._publishing.answered("notifications: announcing on Redis again")

    async def start(self) -> None:
        await super().start()
        self._reading = asyncio.create_task(self._read_forever())

    async def close(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        await super().close()

    async def _read_forever(self) -> None:
        """Reconnects back off (``core.outages.Backoff``); an outage is logged once as it
        starts and once as it ends."""
        outage = Outage(logger)
        backoff = Backoff(
            timedelta(milliseconds=limits.RECONNECT_FIRST_WAIT_MS),
            timedelta(milliseconds=limits.RECONNECT_LAST_WAIT_MS),
        )
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(f"{self._channels}*")
                outage.answered("notifications: Redis answers again; reading announcements")
                self.tell_everyone()
                # The Redis client reconnects and resubscribes by itself after a short cut:
                # whatever was announced meanwhile is lost, so look again then too.
                assert pubsub.connection is not None
                pubsub.connection.register_connect_callback(self._reconnected)
                backoff.reset()
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None and message["type"] == "pmessage":
                        self._heard(message)
            except (RedisError, OSError) as error:
                outage.failed(
                    "notifications: reading from Redis failed (%s); reconnecting",
                    type(error).__name__,
                )
            finally:
                if pubsub.connection is not None:  # it goes back to the client's pool
                    pubsub.connection.deregister_connect_callback(self._reconnected)
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            await asyncio.sleep(backoff.next_wait())

    async def _reconnected(self, _connection: object) -> None:
        self.tell_everyone()

    def _heard(self, message: dict[str, Any]) -> None:
        """Tell the subscriptions here; anyone who can write to Redis can send anything, but
        the worst it does is make a subscription read its own user's notifications again."""
        try:
            channel = message["channel"].decode()
            user_id = int(channel.removeprefix(self._channels))
            data = orjson.loads(message["data"])
            ids = [int(i) for i in data["ids"]]
            origin = data["from"]
        except (AttributeError, KeyError, TypeError, ValueError):
            logger.warning("skipped a malformed notification announcement")
            return
        if origin != self._origin:
            self.tell(user_id, ids)

"""Redis restarted or away: the client's own pool recovers on the next command, throttles count
in process meanwhile, and the task queue's reader backs off and listens again; each outage is
one warning as it starts and one as it ends, not one a request or one a reconnect.

The machine's Redis behind a proxy the test cuts and restores, in both runs of the suite.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError

from app.redis_client import open_redis
from app.tasks import BackgroundWork, TaskQueue, build_mailer
from core import limits
from core.outages import Backoff
from core.runtime import Budget
from core.settings import Settings
from services.throttle import RedisThrottle, ResilientThrottle
from tests.support.tcp_proxy import CuttableProxy, cuttable

FIVE_A_MINUTE = Budget(5, timedelta(minutes=1))
# Generous: recovery takes a reconnect, well under a second here.
RECOVERY_SECONDS = 5


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    target = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    async with cuttable(target.hostname or "127.0.0.1", target.port or 6379) as running:
        yield running


@pytest.fixture
async def redis(proxy: CuttableProxy) -> AsyncIterator[Redis]:
    """A client built as the app builds its own, through the proxy."""
    client = open_redis(f"redis://127.0.0.1:{proxy.port}/0")
    yield client
    await client.aclose()


def _warnings(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger]


async def test_the_first_command_after_a_restart_succeeds_on_a_fresh_connection(
    proxy: CuttableProxy, redis: Redis
) -> None:
    assert await redis.ping()
    await proxy.cut()  # the pooled connection dies with the server
    with pytest.raises(ConnectionError):
        await redis.ping()
    await proxy.restore()
    assert await redis.ping()


async def test_throttles_count_in_process_while_redis_is_away_and_share_again_after(
    proxy: CuttableProxy,
    redis: Redis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.throttle")
    monkeypatch.setattr(limits, "THROTTLE_STORE_RETRY_INTERVAL", timedelta(0))
    throttle = ResilientThrottle(RedisThrottle(redis, f"throttle-test-{uuid.uuid4().hex}:"))
    assert await throttle.take("alice", FIVE_A_MINUTE) == 0

    await proxy.cut()
    # A quarter of five, at least one, in this process: the second attempt waits.
    waits = [await throttle.take("alice", FIVE_A_MINUTE) for _ in range(3)]
    assert waits[0] == 0
    assert all(wait > 0 for wait in waits[1:])
    await throttle.give_back("alice")
    await throttle.forgive("alice")
    assert len(_warnings(caplog, "mentor_api.throttle")) == 1

    await proxy.restore()
    # Redis's count again, which holds the one attempt from before the outage.
    assert [await throttle.take("alice", FIVE_A_MINUTE) for _ in range(4)] == [0, 0, 0, 0]
    assert await throttle.take("alice", FIVE_A_MINUTE) > 0
    down, back = _warnings(caplog, "mentor_api.throttle")
    assert ("Redis unreachable" in down, "answers again" in back) == (True, True)


async def test_the_task_queue_listens_again_soon_after_redis_returns(
    proxy: CuttableProxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.tasks")
    url = f"redis://127.0.0.1:{proxy.port}/0"
    queue = TaskQueue(url, queue_name=f"queue-test-{uuid.uuid4().hex}")
    sender = Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def listening() -> None:
        async for message in queue.listen():
            await received.put(message)

    reader = asyncio.create_task(listening())
    try:
        await sender.lpush(queue.queue_name, b"before")
        async with asyncio.timeout(RECOVERY_SECONDS):
            assert await received.get() == b"before"

        await proxy.cut()
        await asyncio.sleep(2)  # several reconnects fail meanwhile
        await sender.lpush(queue.queue_name, b"during")
        await proxy.restore()
        async with asyncio.timeout(RECOVERY_SECONDS):
            assert await received.get() == b"during"
        down, back = _warnings(caplog, "mentor_api.tasks")
        assert ("Redis unreachable" in down, "answers again" in back) == (True, True)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await sender.delete(queue.queue_name)
        await sender.aclose()
        await queue.shutdown()


async def test_waking_a_worker_through_a_hung_redis_does_not_hold_the_answer(
    proxy: CuttableProxy, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.tasks")
    through_proxy = dataclasses.replace(settings, redis_url=f"redis://127.0.0.1:{proxy.port}/0")
    work = BackgroundWork(through_proxy, build_mailer(through_proxy))
    await work.broker.startup()
    try:
        async with proxy.stalled():
            # Its sockets alone would wait seconds for each of three attempts.
            async with asyncio.timeout(RECOVERY_SECONDS):
                await work.wake()
    finally:
        await work.broker.shutdown()
    [logged] = _warnings(caplog, "mentor_api.tasks")
    assert logged == "waking the mail worker failed: TimeoutError"


def test_reconnect_waits_double_up_to_the_cap_with_jitter() -> None:
    backoff = Backoff(timedelta(milliseconds=200), timedelta(seconds=1))
    waits = [backoff.next_wait() for _ in range(6)]
    ceilings = [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    pairs = zip(waits, ceilings, strict=True)
    assert all(ceiling / 2 <= wait <= ceiling for wait, ceiling in pairs)
    backoff.reset()
    assert backoff.next_wait() <= 0.2

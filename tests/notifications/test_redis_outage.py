"""Redis down: notifications are still written and answers still succeed; once Redis is back,
the announcements lost meanwhile are made good (P10).

The machine's Redis, behind a proxy the test cuts and restores, in both runs of the suite (the
Redis bus is what several processes share).
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from strawberry.relay import to_base64

from core.runtime import Runtime
from models.notifications import Notification, NotificationKind
from services.notifications.bus import RedisBus
from services.notifications.emit import announcing, notify
from services.transactions import transaction
from tests.marketplace.helpers import become_mentor, request_job, row_id
from tests.notifications.conftest import installed
from tests.support.graphql import GraphQLClient
from tests.support.subscriptions import subscribed
from tests.support.tcp_proxy import CuttableProxy, cuttable
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P10")

# Only Redis delivers here: no periodic check within the test.
NEVER = timedelta(hours=1)


@pytest.fixture
async def proxy() -> AsyncIterator[CuttableProxy]:
    target = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    async with cuttable(target.hostname or "127.0.0.1", target.port or 6379) as running:
        yield running


@pytest.fixture
async def through_proxy(proxy: CuttableProxy) -> AsyncIterator[list[Redis]]:
    """Redis clients that reach the server through the proxy, closed after the test."""
    made: list[Redis] = []
    yield made
    for client in made:
        await client.aclose()


def gid(notification_id: int) -> str:
    return to_base64("Notification", notification_id)


def _bus(proxy: CuttableProxy, clients: list[Redis], prefix: str) -> RedisBus:
    client = Redis(host="127.0.0.1", port=proxy.port, socket_connect_timeout=1)
    clients.append(client)
    return RedisBus(client, prefix, NEVER)


async def test_with_redis_down_a_mutation_still_writes_its_notification(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    proxy: CuttableProxy,
    through_proxy: list[Redis],
) -> None:
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor)
    async with installed(runtime, _bus(proxy, through_proxy, f"outage-{uuid.uuid4().hex}:")):
        await proxy.cut()
        job_id = await request_job(graphql, client, mentor_id)
    [written] = await Notification.all()
    assert (written.recipient_id, written.job_id) == (mentor.user.id, row_id(job_id))


async def _announce_from_elsewhere(runtime: Runtime, bus: RedisBus, who: SignedIn) -> int:
    """What another server process does: write a notification, announce it on its bus."""
    elsewhere = dataclasses.replace(runtime, notifications=bus)
    async with announcing(elsewhere), transaction():
        (written,) = await notify(NotificationKind.PAYOUT_READY, [who.user.id])
    return written.id


# Short, the Redis client reconnects by itself; long, it gives up and the bus reconnects.
@pytest.mark.parametrize("outage", [0.5, 4], ids=["short", "long"])
async def test_announcements_lost_while_redis_is_down_arrive_once_it_is_back(
    http: TestClient[Any, Any],
    users: UserFactory,
    runtime: Runtime,
    proxy: CuttableProxy,
    through_proxy: list[Redis],
    outage: float,
) -> None:
    mentor = await users.create("Mona Mentor")
    prefix = f"outage-{uuid.uuid4().hex}:"
    holding, causing = _bus(proxy, through_proxy, prefix), _bus(proxy, through_proxy, prefix)
    await causing.start()
    try:
        async with (
            installed(runtime, holding),
            subscribed(
                http.ws_connect,
                token=mentor.token,
                following=lambda: bool(holding.following(mentor.user.id)),
            ) as socket,
        ):
            before = await _announce_from_elsewhere(runtime, causing, mentor)
            assert (await socket.notification())["id"] == gid(before)

            await proxy.cut()
            lost = await _announce_from_elsewhere(runtime, causing, mentor)
            assert await socket.silent_for(outage)

            await proxy.restore()
            found = await socket.notification(within=10)
            after = await _announce_from_elsewhere(runtime, causing, mentor)
            again = await socket.notification(within=10)
            assert [found["id"], again["id"]] == [gid(lost), gid(after)]
            assert await socket.silent_for(0.5)
    finally:
        await causing.close()

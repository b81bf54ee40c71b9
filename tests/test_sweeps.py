"""The sweep across processes: one leader at a time, and steps that stay right when two run.

Which steps are safe side by side (the woken tasks run beside the sweep on any worker, so
those must be): outbox delivery claims each mail ``FOR UPDATE SKIP LOCKED``; a Stripe event
is applied under its row's lock; exports and disclosures are claimed and marked ready by
conditional updates (the first to finish keeps its file); campaigns, incident notices and
policy announcements go batch by batch under their row's lock; the roll-up claims rows
``SKIP LOCKED``; expiring questions, exports and disclosures only delete; partner shares run
under a Redis lock per partner and send only what changed. Erasure is not: its steps commit
one by one and each run records its end, so it relies on the sweep's single leader. On
SQLite (one process) transactions take turns on the one connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from app.sweep_leader import SoleSweeper, SweepLeader
from app.tasks import BackgroundWork, build_mailer
from core.runtime import Runtime
from core.settings import Settings
from models.payments import ConnectedAccount, WebhookEvent
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, UserFactory

SIGN_UP = document("SignUp")
NOTIFICATIONS = document("Notifications")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The machine's Redis, in both runs: leadership is about several processes, which need
    it (the embedded default's single process always sweeps)."""
    client = Redis.from_url(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    yield client
    await client.aclose()


def _prefix() -> str:
    return f"mentor-test-{uuid.uuid4().hex[:12]}:"


async def test_one_process_sweeps_at_a_time_and_hands_over_after_its_round(redis: Redis) -> None:
    prefix = _prefix()
    first, second = SweepLeader(redis, prefix), SweepLeader(redis, prefix)
    async with first.leading() as first_leads, second.leading() as second_leads:
        assert (first_leads, second_leads) == (True, False)
        assert (first.holds, second.holds) == (True, False)
    async with second.leading() as second_leads:
        assert second_leads


async def test_the_lease_outlives_its_period_while_renewed_and_expires_when_its_holder_died(
    redis: Redis,
) -> None:
    prefix = _prefix()
    leader, other = SweepLeader(redis, prefix, lease=1.5), SweepLeader(redis, prefix, lease=1.5)
    async with leader.leading():
        await asyncio.sleep(4)  # over two lease periods: renewed all along
        async with other.leading() as other_leads:
            assert not other_leads
        assert leader.holds
    # A holder that died renews nothing: its lease runs out and another process leads.
    await redis.set(leader.key, "a worker that died", px=600)
    async with other.leading() as other_leads:
        assert not other_leads
    for _ in range(200):
        if not await redis.exists(leader.key):
            break
        await asyncio.sleep(0.05)
    async with other.leading() as other_leads:
        assert other_leads


def _payout_ready(account_id: str) -> dict[str, object]:
    account = {
        "id": account_id,
        "object": "account",
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
    }
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": "account.updated",
        "created": 1_700_000_000,
        "data": {"object": account},
    }


async def test_two_sweeps_at_once_send_each_mail_once_and_apply_each_event_once(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    settings: Settings,
    mailbox: Mailbox,
) -> None:
    addresses = [f"member{n}@example.com" for n in range(8)]
    mentors = [await users.create(f"Mentor {n}") for n in range(4)]
    async with runtime.outbox.paused():  # this process's own worker waits meanwhile
        for address in addresses:
            signed_up = await graphql.data(
                SIGN_UP, {"input": {"email": address, "password": PASSWORD}}
            )
            assert signed_up["signUp"]["errors"] == []
        # Stripe's events stored, and a crash before they were applied.
        for n, mentor in enumerate(mentors):
            await ConnectedAccount.create(user_id=mentor.user.id, stripe_account_id=f"acct_{n}")
            event = _payout_ready(f"acct_{n}")
            await WebhookEvent.create(
                stripe_event_id=event["id"],
                type=event["type"],
                payload=json.loads(json.dumps(event)),
            )

        sweeps = [BackgroundWork(settings, build_mailer(settings)) for _ in range(2)]
        for sweep in sweeps:
            await sweep.start(runtime, consume=False)
        try:
            await asyncio.gather(*(sweep.sweep_round(SoleSweeper()) for sweep in sweeps))
        finally:
            for sweep in sweeps:
                await sweep.stop()

    for address in addresses:
        subjects = Counter(str(message["Subject"]) for message in mailbox.to(address))
        assert subjects and set(subjects.values()) == {1}, subjects
    assert await WebhookEvent.filter(processed_at__isnull=True).count() == 0
    for mentor in mentors:
        told = await graphql.data(NOTIFICATIONS, {"first": 20}, token=mentor.token)
        kinds = [edge["node"]["kind"] for edge in told["notifications"]["edges"]]
        assert kinds.count("PAYOUT_READY") == 1

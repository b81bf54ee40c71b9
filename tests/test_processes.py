"""The server as an operator runs it: web processes, a worker, and stopping them.

On PostgreSQL + Redis the deployment is ``mentor-api worker`` beside ``mentor-api serve
--workers 2``, each a real process on a database and a key prefix of its own. The embedded
default is its single ``mentor-api serve`` process doing both. Either way a sign-up's mail is
sent once and a Stripe event delivered to several processes at once is applied once.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from redis.asyncio import Redis

from tests.conftest import BACKEND
from tests.support.backends import Backend, postgres_backend, sqlite_backend
from tests.support.processes import (
    Command,
    environment,
    free_port,
    graphql,
    member,
    run,
    until_logged,
    until_up,
)
from tests.support.smtp import Mailbox
from tests.support.stripe_server import TEST_SECRET_KEY, TEST_WEBHOOK_SECRET, StripeServer
from tests.support.users import PASSWORD

WORKER_READY = "mentor-api worker consuming the task queue and sweeping"


@dataclass
class Deployment:
    backend: Backend
    env: dict[str, str]
    url: str
    processes: list[Command]


@pytest.fixture
def stripe(stripe_server: StripeServer) -> StripeServer:
    """The Stripe-compatible server, emptied: each test's database is new, and its ids (in
    Stripe's idempotency keys) start again."""
    stripe_server.reset()
    return stripe_server


@pytest.fixture
async def deployment(
    tmp_path: Path, mailbox: Mailbox, stripe: StripeServer
) -> AsyncIterator[Deployment]:
    """The web side up and answering; on PostgreSQL + Redis no worker yet (the test starts
    it), on the embedded default the one process that does everything."""
    opened = postgres_backend if BACKEND == "postgres" else sqlite_backend
    async with opened(tmp_path) as backend:
        env = environment(
            backend,
            SMTP_URL=mailbox.url,
            STRIPE_API_BASE=stripe.url,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=TEST_WEBHOOK_SECRET,
            STRIPE_MAX_NETWORK_RETRIES="0",
        )
        port = free_port()
        several = ["--workers", "2"] if backend.redis_url else []
        if backend.redis_url:
            migrated = await run(env, "migrate")
            assert migrated.returncode == 0, migrated.stderr
        web = Command(env, tmp_path / "web.log", "serve", "--port", str(port), *several)
        deployment = Deployment(backend, env, f"http://127.0.0.1:{port}", [web])
        try:
            await until_up(deployment.url, web)
            yield deployment
        finally:
            for command in deployment.processes:
                command.kill()


async def _queued_wakes(backend: Backend) -> int:
    redis = Redis.from_url(backend.redis_url or "")
    try:
        return int(await redis.llen(f"{backend.redis_prefix}tasks"))
    finally:
        await redis.aclose()


async def _stored_events(backend: Backend, event_id: str) -> list[bool]:
    """Whether each stored copy of a Stripe event is processed (read after the processes
    ended, from the database they shared)."""
    query = "SELECT processed_at IS NOT NULL FROM stripe_webhook_events WHERE stripe_event_id = "
    if backend.is_postgres:
        connection = await asyncpg.connect(
            backend.database_url.replace("postgres://", "postgresql://", 1)
        )
        try:
            return [row[0] for row in await connection.fetch(query + "$1", event_id)]
        finally:
            await connection.close()
    with sqlite3.connect(backend.database_url.removeprefix("sqlite://")) as connection:
        return [bool(row[0]) for row in connection.execute(query + "?", (event_id,))]


async def _onboarding_mentor(
    session: aiohttp.ClientSession, url: str, stripe_server: StripeServer, email: str
) -> tuple[str, str]:
    """A mentor who started Stripe's payout onboarding: the session token and the account."""
    token = await member(session, url, email)
    profile = {"headline": "Python mentor", "expertise": ["python"], "languages": ["en"]}
    await graphql(session, url, "BecomeMentor", {"input": profile}, token)
    known = set(stripe_server.accounts)
    started = await graphql(session, url, "StartPayoutOnboarding", token=token)
    assert started["startPayoutOnboarding"]["errors"] == []
    (account_id,) = set(stripe_server.accounts) - known
    return token, account_id


async def _deliver(session: aiohttp.ClientSession, url: str, payload: str, signature: str) -> int:
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature}
    async with session.post(f"{url}/webhooks/stripe", data=payload, headers=headers) as answer:
        return answer.status


async def test_a_sign_up_mails_once_and_a_stripe_event_applies_once_across_the_processes(
    deployment: Deployment, mailbox: Mailbox, stripe: StripeServer, tmp_path: Path
) -> None:
    url, backend = deployment.url, deployment.backend
    alice = f"alice-{uuid.uuid4().hex[:8]}@example.com"
    mona = f"mona-{uuid.uuid4().hex[:8]}@example.com"
    async with aiohttp.ClientSession() as session:
        signed_up = await graphql(
            session, url, "SignUp", {"input": {"email": alice, "password": PASSWORD}}
        )
        assert signed_up["signUp"]["errors"] == []
        if backend.redis_url:
            # The web processes only enqueued: the wake waits in Redis for a worker.
            assert await _queued_wakes(backend) >= 1
            worker = Command(deployment.env, tmp_path / "worker.log", "worker")
            deployment.processes.append(worker)
            await until_logged(worker, WORKER_READY)
        await mailbox.wait_for(alice, "Verify your email", within=60)

        token, account_id = await _onboarding_mentor(session, url, stripe, mona)
        event = stripe.complete_onboarding(account_id)
        payload = json.dumps(event)
        signature = stripe.sign(payload)
        # Stripe retrying while the first delivery is still running, on whichever process.
        statuses = await asyncio.gather(
            *(_deliver(session, url, payload, signature) for _ in range(6))
        )
        assert statuses == [200] * 6

        status = await graphql(session, url, "PaymentMethods", token=token)
        assert status["me"]["payoutStatus"] == "READY"
        told = await graphql(session, url, "Notifications", {"first": 20}, token)
        kinds = [edge["node"]["kind"] for edge in told["notifications"]["edges"]]
        assert kinds.count("PAYOUT_READY") == 1
        await mailbox.wait_for(mona, "Verify your email", within=60)

    # Every process stops cleanly; then nothing more can be sent, and what was is counted.
    exits = [await command.stop() for command in deployment.processes]
    assert exits == [0] * len(deployment.processes), [c.output() for c in deployment.processes]
    for address in (alice, mona):
        subjects = Counter(str(message["Subject"]) for message in mailbox.to(address))
        assert subjects and set(subjects.values()) == {1}, subjects
    assert await _stored_events(backend, event["id"]) == [True]


async def test_several_web_processes_without_redis_are_refused(tmp_path: Path) -> None:
    async with sqlite_backend(tmp_path) as backend:
        env = environment(backend, MENTOR_ENV="development")
        refused = await run(env, "serve", "--workers", "2", "--port", str(free_port()))
        worker = await run(env, "worker")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "mentor-api: --workers above 1 needs REDIS_URL: the embedded default's throttles, "
        "task queue and notification bus live in one process and cannot be shared"
    )
    assert worker.returncode == 2
    assert worker.stderr.strip() == (
        "mentor-api: mentor-api worker needs REDIS_URL: without it the queue is in-process, "
        "and `mentor-api serve` runs the background work itself"
    )


def _serving_alone(backend: Backend, tmp_path: Path, **extra: str) -> tuple[str, Command]:
    """``mentor-api serve`` on the embedded default: one process doing everything."""
    port = free_port()
    env = environment(backend, MENTOR_ENV="development", **extra)
    return f"http://127.0.0.1:{port}", Command(
        env, tmp_path / "serve.log", "serve", "--port", str(port)
    )


async def test_sigterm_answers_the_request_in_flight_closes_websockets_and_exits_0(
    tmp_path: Path, stripe: StripeServer
) -> None:
    async with sqlite_backend(tmp_path) as backend:
        url, server = _serving_alone(
            backend,
            tmp_path,
            STRIPE_API_BASE=stripe.url,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_MAX_NETWORK_RETRIES="0",
        )
        try:
            await until_up(url, server)
            async with aiohttp.ClientSession() as session:
                token = await member(session, url, f"mona-{uuid.uuid4().hex[:8]}@example.com")
                profile = {"headline": "Mentor", "expertise": ["python"], "languages": []}
                await graphql(session, url, "BecomeMentor", {"input": profile}, token)
                socket = await session.ws_connect(
                    f"{url}/graphql", protocols=["graphql-transport-ws"]
                )
                async with stripe.holding("/v1/accounts") as waiting:
                    # A request in flight: the server waits on a slow Stripe.
                    onboarding = asyncio.create_task(
                        graphql(session, url, "StartPayoutOnboarding", token=token)
                    )
                    await waiting.wait()
                    server.process.send_signal(signal.SIGTERM)
                    closing = await socket.receive(timeout=60)
                answered = await onboarding

            assert (closing.type, closing.data) == (aiohttp.WSMsgType.CLOSE, 1001)
            assert answered["startPayoutOnboarding"]["payoutStatus"] == "ONBOARDING", answered
            assert await server.exit_status() == 0, server.output()
        finally:
            server.kill()


async def test_sigterm_lets_the_mail_being_sent_finish_then_exits_0(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    address = f"alice-{uuid.uuid4().hex[:8]}@example.com"
    async with sqlite_backend(tmp_path) as backend:
        url, server = _serving_alone(backend, tmp_path, SMTP_URL=mailbox.url)
        try:
            await until_up(url, server)
            async with aiohttp.ClientSession() as session:
                socket = await session.ws_connect(
                    f"{url}/graphql", protocols=["graphql-transport-ws"]
                )
                with mailbox.holding() as sending:
                    credentials = {"input": {"email": address, "password": PASSWORD}}
                    await graphql(session, url, "SignUp", credentials)
                    # A job in flight: the server in the middle of sending the mail.
                    assert await asyncio.to_thread(sending.wait, 60)
                    server.process.send_signal(signal.SIGTERM)
                    closing = await socket.receive(timeout=60)  # the server is stopping
            assert closing.type == aiohttp.WSMsgType.CLOSE
            assert await server.exit_status() == 0, server.output()
        finally:
            server.kill()
    [mail] = mailbox.to(address)
    assert "Verify your email" in str(mail["Subject"])

"""Redis killed under load and started again: no request answers a bare 500 or INTERNAL, the
errors of the outage are typed ones a client may retry, nothing is half written, and within
seconds of Redis's return everything works again, the worker's task queue included.

A deployment as an operator runs it: two ``mentor-api serve`` processes and a ``mentor-api
worker`` on this run's PostgreSQL database and a ``redis-server`` of the test's own, which the
test SIGKILLs while a few clients sign up, log in, read the mentors page and like posts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from tests.marketplace.helpers import MENTOR_PROFILE
from tests.support.backends import Backend, postgres_backend
from tests.support.chaos import OUTAGE_CODES, Answer, Load, Operation, redis_server, send
from tests.support.processes import Command, environment, graphql, member, serving, until_logged
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD

WORKER_READY = "mentor-api worker consuming the task queue and sweeping"
BEFORE_SECONDS, OUTAGE_SECONDS, AFTER_SECONDS = 2, 5, 2
# Generous bounds for "within seconds": a reconnect takes well under one here.
RECOVERY_SECONDS = 10
BIG_BUDGET = "1000000000,1000000"  # query budgets are not what this test is about


@dataclass(frozen=True)
class World:
    """What the load acts on: one published post and the fans who like it."""

    post_id: str
    fans: list[str]  # session tokens
    fan_email: str


def _address(n: int) -> str:
    """A caller of its own for request ``n``: no network's throttle is what is measured."""
    return f"10.{n // 256 % 256}.{n % 256}.7"


async def _world(session: aiohttp.ClientSession, url: str) -> World:
    mentor = await member(session, url, "mentor@example.com")
    await graphql(session, url, "BecomeMentor", {"input": MENTOR_PROFILE}, mentor)
    post = {"input": {"title": "Chaos", "body": "Text"}}
    created = await graphql(session, url, "CreatePost", post, mentor)
    post_id = created["createPost"]["post"]["id"]
    await graphql(session, url, "PublishPost", {"input": {"postId": post_id}}, mentor)
    fans = [await member(session, url, f"fan-{i}@example.com") for i in range(3)]
    return World(post_id, fans, "fan-0@example.com")


def _operations(world: World) -> list[Operation]:
    async def sign_up(session: aiohttp.ClientSession, url: str, n: int) -> Answer:
        credentials = {"input": {"email": f"chaos-{n}@example.com", "password": PASSWORD}}
        answer, _ = await send(session, url, "SignUp", credentials, address=_address(n))
        return answer

    async def log_in(session: aiohttp.ClientSession, url: str, n: int) -> Answer:
        credentials = {"input": {"email": world.fan_email, "password": PASSWORD}}
        answer, _ = await send(session, url, "LogIn", credentials, address=_address(n))
        return answer

    async def mentors(session: aiohttp.ClientSession, url: str, n: int) -> Answer:
        answer, _ = await send(session, url, "Mentors", {"first": 20}, address=_address(n))
        return answer

    async def like_or_unlike(session: aiohttp.ClientSession, url: str, n: int) -> Answer:
        fan = world.fans[n % len(world.fans)]
        name = "LikePost" if n // len(world.fans) % 2 == 0 else "UnlikePost"
        answer, _ = await send(session, url, name, {"input": {"postId": world.post_id}}, token=fan)
        return answer

    return [sign_up, log_in, mentors, like_or_unlike]


async def _readiness(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, str]]:
    timeout = aiohttp.ClientTimeout(total=RECOVERY_SECONDS)
    async with session.get(f"{url}/readyz", timeout=timeout) as response:
        return response.status, (await response.json())["checks"]


async def _recovered(
    session: aiohttp.ClientSession, url: str, mailbox: Mailbox, address: str
) -> None:
    """A sign-up answers and its verification mail arrives: the worker's task queue listens
    again (the sweep that would also deliver it runs only every 30 seconds)."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    credentials = {"input": {"email": address, "password": PASSWORD}}
    while True:
        answer, body = await send(session, url, "SignUp", credentials, address="10.255.0.1")
        if answer.ok or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert answer.ok, body
    await mailbox.wait_for(address, "Verify your email", within=RECOVERY_SECONDS)


async def _rows(backend: Backend) -> tuple[list[tuple[int, int]], int]:
    """Each post's like_count beside its likes rows, and the accounts the load signed up."""
    connection = await asyncpg.connect(
        backend.database_url.replace("postgres://", "postgresql://", 1)
    )
    try:
        likes = await connection.fetch(
            "SELECT p.like_count, (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id) "
            "FROM posts p"
        )
        signed_up = await connection.fetchval(
            "SELECT count(*) FROM users WHERE email LIKE 'chaos-%'"
        )
    finally:
        await connection.close()
    return [(row[0], row[1]) for row in likes], int(signed_up)


def _untyped(answers: list[Answer]) -> list[Answer]:
    """A bare failure: no HTTP answer, or one that is not GraphQL-shaped JSON."""
    return [a for a in answers if a.status == 0 or not a.shaped]


async def test_a_redis_crash_under_load_ends_in_typed_errors_and_a_prompt_recovery(
    tmp_path: Path, mailbox: Mailbox
) -> None:
    async with redis_server(tmp_path) as redis, postgres_backend(tmp_path) as machine:
        backend = dataclasses.replace(machine, redis_url=redis.url)
        env = environment(
            backend,
            SMTP_URL=mailbox.url,
            TRUSTED_PROXIES="127.0.0.1/32",
            QUERY_BUDGET_ANONYMOUS=BIG_BUDGET,
            QUERY_BUDGET_USER=BIG_BUDGET,
        )
        async with serving(env, tmp_path, count=2) as urls:
            worker = Command(env, tmp_path / "worker.log", "worker")
            try:
                await until_logged(worker, WORKER_READY)
                async with aiohttp.ClientSession() as session:
                    world = await _world(session, urls[0])
                    load = Load(urls, _operations(world), clients=4)
                    async with load.running():
                        await asyncio.sleep(BEFORE_SECONDS)
                        redis.kill()
                        down_at = time.monotonic()
                        await asyncio.sleep(OUTAGE_SECONDS / 2)
                        outage_readiness = await _readiness(session, urls[1])
                        await asyncio.sleep(OUTAGE_SECONDS / 2)
                        await redis.start()
                        back_at = time.monotonic()
                        await _recovered(session, urls[0], mailbox, "after@example.com")
                        recovered_at = time.monotonic()
                        await asyncio.sleep(AFTER_SECONDS)
                    recovered_readiness = await _readiness(session, urls[1])
            finally:
                await worker.end()
        worker_log = worker.output()
        likes, signed_up = await _rows(backend)

    answers = load.answers
    assert not _untyped(answers), _untyped(answers)[:5]
    untyped_errors = [a for a in answers if set(a.codes) - OUTAGE_CODES]
    assert not untyped_errors, untyped_errors[:5]
    assert all(a.ok for a in load.between(0, down_at)), "failing before the outage"
    assert load.between(down_at, back_at), "no load during the outage"
    # Recovered within seconds, and everything answers from then on.
    assert recovered_at - back_at < RECOVERY_SECONDS
    settled = load.between(recovered_at, time.monotonic())
    assert settled and all(a.ok for a in settled), [a for a in settled if not a.ok][:5]
    # /readyz told which dependency was out, and promptly.
    assert outage_readiness[0] == 503
    assert outage_readiness[1]["redis"] != "ok"
    assert outage_readiness[1]["database"] == "ok"
    assert recovered_readiness == (200, {"database": "ok", "migrations": "ok", "redis": "ok"})
    # Nothing half written: counters match their rows, and each accepted sign-up is one account.
    assert all(count == rows for count, rows in likes), likes
    accepted = sum(1 for a in answers if a.operation == "SignUp" and a.ok)
    assert signed_up == accepted
    # The worker's reader said so once each way, instead of restarting in a loop.
    assert worker_log.count("task queue: Redis unreachable") == 1, worker_log
    assert worker_log.count("task queue: Redis answers again") == 1, worker_log

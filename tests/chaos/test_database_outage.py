"""Chaos on PostgreSQL: the web processes' database sessions are ended again and again
(``pg_terminate_backend``, on this test's database only: the server is shared) while a few
clients read, like, unlike and sign up; then the server is made unreachable behind a proxy.

Every answer is a result or a typed error (SERVICE_UNAVAILABLE, never INTERNAL, never a bare
500); everything answers again within seconds once the faults stop; and no row is
half-written: each post's ``like_count`` is its likes, and each account has the rows its
sign-up writes with it in one transaction.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from tests.marketplace.helpers import MENTOR_PROFILE
from tests.support.backends import Backend, postgres_backend
from tests.support.documents import document
from tests.support.processes import environment, graphql, member, serving
from tests.support.tcp_proxy import cuttable
from tests.support.users import PASSWORD

CLIENTS = 4
POSTS = 3
FAULT_SECONDS = 10
TERMINATE_EVERY_SECONDS = 0.25
RECOVERY_SECONDS = 5
READY_WAIT_SECONDS = 10
# A forwarded address per sign-up, each its own network: the per-network sign-up limit
# guards against one script, and this load is not what it is about.
FORWARDED_NETWORKS = (f"10.{n // 250}.{n % 250}.7" for n in itertools.count(1))


@dataclass
class Answer:
    operation: str
    status: int
    content_type: str
    body: dict[str, Any] | None

    @property
    def codes(self) -> list[str]:
        errors = (self.body or {}).get("errors") or []
        return [str((error.get("extensions") or {}).get("code")) for error in errors]

    @property
    def is_bare(self) -> bool:
        """Not a GraphQL answer: no JSON body, or errors without a code."""
        return self.body is None or ("data" not in self.body and not self.codes)

    @property
    def succeeded(self) -> bool:
        return self.status == 200 and not self.codes and not self.payload_errors

    @property
    def payload_errors(self) -> list[Any]:
        data = (self.body or {}).get("data") or {}
        return [error for payload in data.values() for error in (payload or {}).get("errors", [])]


@dataclass
class Site:
    urls: list[str]
    fans: list[str]
    posts: list[str]


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    forwarded_for: str | None = None,
) -> Answer:
    headers = {"Accept": "application/graphql-response+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    async with session.post(
        f"{url}/graphql",
        json={"query": document(name), "variables": variables or {}},
        headers=headers,
    ) as response:
        content_type = response.content_type
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return Answer(name, response.status, content_type, body)


async def _one_round(
    session: aiohttp.ClientSession, site: Site, client: int, rng: random.Random
) -> list[Answer]:
    """What one client does in a round: read a page of mentors and itself, like or unlike a
    post, sign someone up."""
    url = rng.choice(site.urls)
    token = site.fans[client]
    post = {"input": {"postId": rng.choice(site.posts)}}
    email = {"input": {"email": f"chaos-{rng.getrandbits(48):x}@example.com", "password": PASSWORD}}
    return [
        await _send(session, url, "Mentors", {"first": 5}, token=token),
        await _send(session, url, "Me", token=token),
        await _send(session, url, rng.choice(["LikePost", "UnlikePost"]), post, token=token),
        await _send(session, url, "SignUp", email, forwarded_for=next(FORWARDED_NETWORKS)),
    ]


async def _load(site: Site, until: asyncio.Event) -> list[Answer]:
    async def client(number: int) -> list[Answer]:
        rng = random.Random(number)
        answers: list[Answer] = []
        async with aiohttp.ClientSession() as session:
            while not until.is_set():
                answers += await _one_round(session, site, number, rng)
        return answers

    per_client = await asyncio.gather(*(client(number) for number in range(CLIENTS)))
    return [answer for answers in per_client for answer in answers]


async def _terminate_sessions(
    admin: asyncpg.Connection, database: str, until: asyncio.Event
) -> int:
    """End every session on the test's database, again and again; how many were ended."""
    ended = 0
    while not until.is_set():
        ended += await admin.fetchval(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        await asyncio.sleep(TERMINATE_EVERY_SECONDS)
    return ended


async def _seconds_until_all_succeed(site: Site) -> float:
    """From the end of the faults until one full round of every client succeeds."""
    started = time.monotonic()
    rng = random.Random(99)
    async with aiohttp.ClientSession() as session:
        while time.monotonic() - started < 4 * RECOVERY_SECONDS:
            rounds = await asyncio.gather(
                *(_one_round(session, site, number, rng) for number in range(CLIENTS))
            )
            if all(answer.succeeded for answers in rounds for answer in answers):
                return time.monotonic() - started
            await asyncio.sleep(0.1)
    return float("inf")


async def _admin(backend: Backend, database: str = "postgres") -> asyncpg.Connection:
    server = backend.database_url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1)
    return await asyncpg.connect(f"{server}/{database}")


async def _half_written(backend: Backend) -> dict[str, list[Any]]:
    """Rows that only a part of a transaction would leave: each kind with its examples."""
    connection = await _admin(backend, backend.database_url.rsplit("/", 1)[1])
    try:
        miscounted = await connection.fetch(
            "SELECT p.id, p.like_count, count(l.id) AS likes FROM posts p "
            "LEFT JOIN post_likes l ON l.post_id = p.id GROUP BY p.id "
            "HAVING p.like_count <> count(l.id)"
        )
        incomplete = await connection.fetch(
            "SELECT u.id FROM users u WHERE "
            "NOT EXISTS (SELECT 1 FROM privacy_policy_acceptances a WHERE a.user_id = u.id) "
            "OR NOT EXISTS (SELECT 1 FROM audit_log e "
            "  WHERE e.subject_id = u.id AND e.action = 'SIGN_UP') "
            "OR NOT EXISTS (SELECT 1 FROM outbox_email m WHERE m.recipient_id = u.id)"
        )
    finally:
        await connection.close()
    return {
        "posts whose like_count is not their likes": [dict(row) for row in miscounted],
        "accounts without their sign-up's rows": [row["id"] for row in incomplete],
    }


async def _site(urls: list[str]) -> Site:
    """A mentor with published posts, and fans signed in with bearer tokens."""
    async with aiohttp.ClientSession() as session:
        mentor = await member(session, urls[0], "mentor@example.com")
        await graphql(session, urls[0], "BecomeMentor", {"input": MENTOR_PROFILE}, mentor)
        posts = []
        for number in range(POSTS):
            draft = {"input": {"title": f"Post {number}", "body": "Text"}}
            created = await graphql(session, urls[0], "CreatePost", draft, mentor)
            post_id = created["createPost"]["post"]["id"]
            await graphql(session, urls[0], "PublishPost", {"input": {"postId": post_id}}, mentor)
            posts.append(post_id)
        fans = [
            await member(session, urls[0], f"fan{number}@example.com") for number in range(CLIENTS)
        ]
    return Site(urls=urls, fans=fans, posts=posts)


def _env(backend: Backend, **extra: str) -> dict[str, str]:
    return environment(
        backend,
        TRUSTED_PROXIES="127.0.0.1/32",
        QUERY_BUDGET_USER="1000000,100000",
        QUERY_BUDGET_ANONYMOUS="1000000,100000",
        **extra,
    )


@pytest.fixture
async def own_backend(tmp_path: Path) -> AsyncIterator[Backend]:
    async with postgres_backend(tmp_path) as created:
        yield created


async def test_ended_database_sessions_answer_typed_errors_and_write_nothing_by_halves(
    own_backend: Backend, tmp_path: Path
) -> None:
    backend = own_backend
    database = backend.database_url.rsplit("/", 1)[1]
    async with serving(_env(backend), tmp_path) as urls:
        site = await _site(urls)
        admin = await _admin(backend)
        stop = asyncio.Event()
        try:
            load = asyncio.ensure_future(_load(site, stop))
            terminations = asyncio.ensure_future(_terminate_sessions(admin, database, stop))
            await asyncio.sleep(FAULT_SECONDS)
            stop.set()
            answers, ended = await asyncio.gather(load, terminations)
        finally:
            await admin.close()
        recovered_in = await _seconds_until_all_succeed(site)

    codes = Counter(code for answer in answers for code in answer.codes)
    statuses = Counter(answer.status for answer in answers)
    summary = (
        f"{len(answers)} answers, statuses {dict(statuses)}, codes {dict(codes)}; "
        f"the servers logged:\n{_logged_errors(tmp_path)}"
    )
    assert ended > 0, "no session was ended: the faults never happened"
    assert [answer for answer in answers if answer.is_bare] == [], summary
    assert set(codes) <= {"SERVICE_UNAVAILABLE"}, summary
    assert codes["SERVICE_UNAVAILABLE"] > 0, f"no request met the faults: {summary}"
    assert set(statuses) <= {200, 503}, summary
    assert sum(answer.succeeded for answer in answers) > len(answers) / 2, summary
    assert recovered_in <= RECOVERY_SECONDS, summary
    assert await _half_written(backend) == {
        "posts whose like_count is not their likes": [],
        "accounts without their sign-up's rows": [],
    }


async def test_readiness_fails_promptly_while_the_database_is_out_of_reach_and_recovers(
    own_backend: Backend, tmp_path: Path
) -> None:
    backend = own_backend
    """Behind a proxy that first stalls (a server that accepts and never answers) and then
    refuses: /readyz says the database failed within its bound, GraphQL answers 503, and
    both are well again once the server is back."""
    host, port = backend.database_url.rsplit("@", 1)[1].split("/")[0].split(":")
    async with cuttable(host, int(port)) as proxy:
        proxied = backend.database_url.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}")
        env = _env(backend, DATABASE_URL=proxied)
        async with serving(env, tmp_path, count=1) as [url], aiohttp.ClientSession() as session:
            token = await member(session, url, "ada@example.com")
            checks = []
            async with proxy.stalled():
                checks.append(await _readiness(session, url))
            await proxy.cut()
            checks.append(await _readiness(session, url))
            refused = await _send(session, url, "Me", token=token)
            await proxy.restore()
            recovered = await _until_ready(session, url)
            answered = await _send(session, url, "Me", token=token)

    assert [(status, body["checks"]["database"]) for status, body, _ in checks] == [
        (503, "TimeoutError"),
        (503, checks[1][1]["checks"]["database"]),
    ]
    assert checks[1][1]["checks"]["database"] != "ok", checks
    assert all(seconds < READY_WAIT_SECONDS for _, _, seconds in checks), (checks, recovered)
    assert (refused.status, refused.codes) == (503, ["SERVICE_UNAVAILABLE"])
    assert recovered < RECOVERY_SECONDS
    assert answered.succeeded, answered


def _logged_errors(directory: Path) -> str:
    """The servers' log lines from the first error on, to say what went wrong."""
    logs = [path.read_text() for path in sorted(directory.glob("serve-*.log"))]
    return "\n".join(log[log.find("ERROR") :][:6000] for log in logs if "ERROR" in log)


async def _readiness(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    async with session.get(f"{url}/readyz") as response:
        body = await response.json()
        return response.status, body, time.monotonic() - started


async def _until_ready(session: aiohttp.ClientSession, url: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 4 * RECOVERY_SECONDS:
        status, _, _ = await _readiness(session, url)
        if status == 200:
            break
        await asyncio.sleep(0.1)
    return time.monotonic() - started

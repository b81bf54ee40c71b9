"""A bounded load test of the deployment: web processes and a worker on PostgreSQL + Redis.

    .venv/bin/python bench/load_mix.py [--clients 500] [--seconds 45] [--web 2]

Starts, on a database and a Redis key prefix of its own, ``mentor-api worker`` beside
``mentor-api serve --workers N`` (the demo marketplace seeded), then runs ``--clients``
concurrent clients for ``--seconds`` (at most 60) against it, each looping over a mix of the
mentors page (50 %), ``node`` reads of mentors and posts (30 %), ``likePost`` by a signed-in
member (10 %) and ``logIn`` (10 %). Each client is a network of its own
(``X-Forwarded-For`` through ``TRUSTED_PROXIES=127.0.0.1``), so budgets and throttles apply
per client as they would in production. Prints throughput, p50/p99 per kind, the status
counts, the 5xx count (must be 0) and how many answers were refused as rate-limited.
The client runs in this process, on the same two cores as the servers: the figures are the
deployment's under that load, not its ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parents[1]
MENTOR_API = [sys.executable, "-m", "app.cli"]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "load test password, long enough"
MEMBERS = 50
MAX_SECONDS = 60
GRAPHQL_RESPONSE = "application/graphql-response+json"

MENTORS_PAGE = (ROOT / "graphql" / "Mentors.graphql").read_text()
NODE = "query Node($id: ID!) { node(id: $id) { id ... on Mentor { name } ... on Post { title } } }"
LIKE_POST = "mutation Like($input: LikePostInput!) { likePost(input: $input) { errors { code } } }"
LOG_IN = "mutation LogIn($input: LogInInput!) { logIn(input: $input) { token errors { code } } }"
SIGN_UP = "mutation SignUp($input: SignUpInput!) { signUp(input: $input) { errors { code } } }"
IDS = "{ mentors(first: 30) { edges { node { id posts(first: 5) { edges { node { id } } } } } } }"
MIX = (("mentors page", 50), ("node", 30), ("likePost", 10), ("logIn", 10))


def _environment(database: str, prefix: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": prefix,
        # Development, for seed-demo; everything measured runs as in production.
        "MENTOR_ENV": "development",
        "SECRET_KEY": secrets.token_hex(32),
        "MENTOR_DATA_DIR": str(data_dir),
        "TRUSTED_PROXIES": "127.0.0.1",
        "COOKIE_SECURE": "0",
        "LOG_LEVEL": "WARNING",
    }


async def _until_ready(url: str, processes: list[subprocess.Popen[bytes]]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            if any(process.poll() is not None for process in processes):
                raise SystemExit("a server process ended while starting")
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the deployment did not become ready")


async def _post(
    session: aiohttp.ClientSession,
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    async with session.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Accept": GRAPHQL_RESPONSE, **(headers or {})},
    ) as response:
        return response.status, await response.json()


async def _prepare(url: str) -> tuple[list[str], list[str], list[str]]:
    """The ids to read and like, and the members' emails and session tokens."""
    async with aiohttp.ClientSession() as session:
        _, body = await _post(session, url, IDS)
        mentors = [edge["node"] for edge in body["data"]["mentors"]["edges"]]
        posts = [post["node"]["id"] for mentor in mentors for post in mentor["posts"]["edges"]]
        emails = [f"load-{index}@bench.example" for index in range(MEMBERS)]

        async def member(index: int, email: str) -> str:
            network = {"X-Forwarded-For": f"10.250.{index}.1"}
            signed = {"email": email, "password": PASSWORD, "name": f"Load {index}"}
            await _post(session, url, SIGN_UP, {"input": signed}, network)
            credentials = {"email": email, "password": PASSWORD}
            _, answer = await _post(session, url, LOG_IN, {"input": credentials}, network)
            token: str = answer["data"]["logIn"]["token"]
            return token

        tokens = await asyncio.gather(*(member(i, e) for i, e in enumerate(emails)))
    return [mentor["id"] for mentor in mentors] + posts, emails, list(tokens)


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.failures: Counter[str] = Counter()


async def _client(
    number: int,
    session: aiohttp.ClientSession,
    url: str,
    deadline: float,
    targets: tuple[list[str], list[str], list[str]],
    tally: Tally,
) -> None:
    ids, emails, tokens = targets
    picker = random.Random(number)
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    network = {"X-Forwarded-For": f"10.{number // 250}.{number % 250}.1"}
    while time.monotonic() < deadline:
        kind = picker.choices(kinds, weights)[0]
        headers = dict(network)
        member = picker.randrange(MEMBERS)
        if kind == "mentors page":
            payload: dict[str, Any] = {"query": MENTORS_PAGE, "variables": {"first": 20}}
        elif kind == "node":
            payload = {"query": NODE, "variables": {"id": picker.choice(ids)}}
        elif kind == "likePost":
            post = picker.choice(ids[-len(ids) // 2 :])
            payload = {"query": LIKE_POST, "variables": {"input": {"postId": post}}}
            headers["Authorization"] = f"Bearer {tokens[member]}"
        else:
            credentials = {"email": emails[member], "password": PASSWORD}
            payload = {"query": LOG_IN, "variables": {"input": credentials}}
        started = time.perf_counter()
        try:
            async with session.post(
                f"{url}/graphql", json=payload, headers={"Accept": GRAPHQL_RESPONSE, **headers}
            ) as response:
                body = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as error:
            tally.failures[type(error).__name__] += 1
            continue
        tally.latencies[kind].append(time.perf_counter() - started)
        # A throttled log-in is a RATE_LIMITED error inside a 200 (its payload ran).
        limited = status == 200 and b'"RATE_LIMITED"' in body
        tally.statuses[429 if limited else status] += 1


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def _load(url: str, clients: int, seconds: float, targets: Any) -> tuple[Tally, float]:
    tally = Tally()
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=max(30.0, seconds))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(_client(n, session, url, deadline, targets, tally) for n in range(clients))
        )
        return tally, time.monotonic() - started


def _report(tally: Tally, elapsed: float, clients: int, web: int) -> None:
    answered = sum(tally.statuses.values())
    print(f"{clients} clients for {elapsed:.1f} s against {web} web processes + 1 worker")
    print(f"answered {answered} requests: {answered / elapsed:.1f} req/s")
    everything = [value for values in tally.latencies.values() for value in values]
    for kind, values in [*sorted(tally.latencies.items()), ("all", everything)]:
        if values:
            print(
                f"  {kind:<13} {len(values):>7}  p50 {statistics.median(values) * 1000:8.1f} ms"
                f"  p99 {_percentile(values, 0.99):8.1f} ms"
            )
    print(f"statuses: {dict(sorted(tally.statuses.items()))}")
    print(f"5xx: {sum(count for status, count in tally.statuses.items() if status >= 500)}")
    print(f"rate-limited: {tally.statuses.get(429, 0)}")
    print(f"connection failures: {dict(tally.failures) or 0}")


async def _measure(
    url: str, processes: list[subprocess.Popen[bytes]], clients: int, seconds: float
) -> tuple[Tally, float]:
    await _until_ready(url, processes)
    targets = await _prepare(url)
    return await _load(url, clients, seconds, targets)


async def _create_database(database: str) -> None:
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()


async def _clean_up(database: str, prefix: str) -> None:
    admin = await asyncpg.connect(f"{POSTGRES}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    redis = Redis.from_url(REDIS_URL)
    async for key in redis.scan_iter(match=f"{prefix}*"):
        await redis.delete(key)
    await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=45)
    parser.add_argument("--web", type=int, default=2)
    args = parser.parse_args()
    seconds = min(args.seconds, MAX_SECONDS)
    database = f"mentor_bench_{secrets.token_hex(4)}"
    prefix = f"mentor-bench-{secrets.token_hex(4)}:"
    data_dir = Path(tempfile.mkdtemp(prefix="mentor-bench-"))
    asyncio.run(_create_database(database))
    env = _environment(database, prefix, data_dir)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for step in (["migrate"], ["seed-demo"]):
            subprocess.run(
                [*MENTOR_API, *step], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
            )
        port = 18000 + random.randrange(1000)
        with open(data_dir / "servers.log", "wb") as logs:
            for command in (["worker"], ["serve", "--port", str(port), "--workers", str(args.web)]):
                processes.append(
                    subprocess.Popen([*MENTOR_API, *command], env=env, cwd=ROOT, stderr=logs)
                )
        url = f"http://127.0.0.1:{port}"
        tally, elapsed = asyncio.run(_measure(url, processes, args.clients, seconds))
        _report(tally, elapsed, args.clients, args.web)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        asyncio.run(_clean_up(database, prefix))
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark: the mentors page query served by the real app, against the hand-written floor.

    .venv/bin/python bench/page_query.py [--mentors 200] [--first 50] [--concurrency 16]
                                         [--requests 3000] [--seconds 20]

Creates a fresh PostgreSQL database (BENCH_DATABASE_SERVER, default the local server), seeds
it with mentors that each have posts and permitted testimonials, starts `mentor-api serve`
(with Redis, as in production) and `bench/floor.py` on 127.0.0.1, checks that both answer the
same JSON, drives each from a separate load process, prints throughput and p50/p99 for both and
their ratio, then stops the servers and drops the database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.db import apply_migrations, open_database  # noqa: E402
from models.accounts import User  # noqa: E402
from models.marketplace import (  # noqa: E402
    Attribution,
    Job,
    JobStatus,
    MentorProfile,
    MentorTag,
    MentorTagKind,
    Post,
    PostStatus,
    Testimonial,
)

PAGE_QUERY = """
query Page($first: Int!) {
  mentors(first: $first) { edges { node { name headline expertise
    hourlyRate { amountCents currency } rating
    testimonials(first: 3) { edges { node { rating text authorName } } }
    posts(first: 3) { edges { node { title likeCount } } } } } }
}
"""
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def seed(database_url: str, mentors: int) -> None:
    """Each mentor: 4 published posts, 5 testimonials of which 4 may be shown on the profile."""
    await apply_migrations(database_url)
    database = await open_database(database_url)
    published = datetime.now(UTC)
    try:
        await User.bulk_create(
            [User(email=f"client{i}@bench.example", name=f"Client Number{i}") for i in range(100)]
        )
        clients = await User.filter(email__startswith="client").order_by("id")
        await User.bulk_create(
            [
                User(email=f"mentor{i}@bench.example", name=f"Mentor Number{i}")
                for i in range(mentors)
            ]
        )
        users = await User.filter(email__startswith="mentor").order_by("id")
        await MentorProfile.bulk_create(
            [
                MentorProfile(
                    user_id=u.id,
                    headline=f"Mentor {i} helps with Python",
                    expertise=["python", "sql"],
                    languages=["en"],
                    hourly_rate_cents=4000 + 100 * i,
                    currency="EUR",
                )
                for i, u in enumerate(users)
            ]
        )
        await MentorTag.bulk_create(
            [MentorTag(mentor_id=u.id, kind=MentorTagKind.EXPERTISE, value="python") for u in users]
        )
        await Post.bulk_create(
            [
                Post(
                    author_id=u.id,
                    title=f"Post {n} by mentor {u.id}",
                    body="Body",
                    status=PostStatus.PUBLISHED,
                    published_at=published - timedelta(days=n),
                    like_count=n,
                )
                for u in users
                for n in range(4)
            ]
        )
        await Job.bulk_create(
            [
                Job(
                    client_id=clients[(u.id + n) % len(clients)].id,
                    mentor_id=u.id,
                    description="Help",
                    status=JobStatus.COMPLETED,
                )
                for u in users
                for n in range(5)
            ]
        )
        jobs = await Job.all().order_by("id")
        await Testimonial.bulk_create(
            [
                Testimonial(
                    job_id=job.id,
                    author_id=job.client_id,
                    mentor_id=job.mentor_id,
                    rating=3 + index % 3,
                    text="Clear and useful.",
                    profile_attribution=(None if index % 5 == 4 else list(Attribution)[index % 3]),
                )
                for index, job in enumerate(jobs)
            ]
        )
    finally:
        await database.close_connections()


async def wait_until_serving(url: str, process: subprocess.Popen[bytes]) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            with suppress(aiohttp.ClientError):
                async with session.post(url, json={"query": "{ __typename }"}) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


async def answer(url: str, body: bytes) -> object:
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "application/json"}
        async with session.post(url, data=body, headers=headers) as response:
            return await response.json(content_type=None)


def load(url: str, body: bytes, args: argparse.Namespace) -> dict[str, float]:
    """Warm up, then measure, each in a load process of its own."""
    command = [sys.executable, str(ROOT / "bench" / "load.py"), url, body.decode()]
    subprocess.run([*command, str(args.concurrency), "200", "5"], check=True, capture_output=True)
    measured = subprocess.run(
        [*command, str(args.concurrency), str(args.requests), str(args.seconds)],
        check=True,
        capture_output=True,
        text=True,
    )
    stats: dict[str, float] = json.loads(measured.stdout)
    return stats


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


async def run(args: argparse.Namespace) -> None:
    name = f"mentor_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f'CREATE DATABASE "{name}"')
    database_url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    servers: list[subprocess.Popen[bytes]] = []
    try:
        started = time.perf_counter()
        await seed(database_url, args.mentors)
        print(f"seeded {args.mentors} mentors in {time.perf_counter() - started:.1f}s")
        app_port, floor_port = free_port(), free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "REDIS_KEY_PREFIX": f"{name}:",
            "SECRET_KEY": uuid.uuid4().hex,
            "MENTOR_ENV": "production",
            "MENTOR_DATA_DIR": tempfile.mkdtemp(prefix="mentor-bench-"),
        }
        serve = "from app.cli import main; main()"
        app_command = [sys.executable, "-c", serve, "serve", "--port", str(app_port)]
        servers.append(start(app_command, env))
        floor = str(ROOT / "bench" / "floor.py")
        floor_command = [sys.executable, floor, database_url, str(floor_port), str(args.first)]
        servers.append(start(floor_command, env))
        app_url = f"http://127.0.0.1:{app_port}/graphql"
        floor_url = f"http://127.0.0.1:{floor_port}/graphql"
        for url, process in zip((app_url, floor_url), servers, strict=True):
            await wait_until_serving(url, process)
        body = json.dumps({"query": PAGE_QUERY, "variables": {"first": args.first}}).encode()
        app_answer, floor_answer = await answer(app_url, body), await answer(floor_url, body)
        if app_answer != floor_answer:
            raise SystemExit("the floor does not answer the same JSON as the app")
        print(f"both answer the same JSON for mentors(first: {args.first}); measuring…")
        results = {"app": load(app_url, body, args), "floor": load(floor_url, body, args)}
        for label, stats in results.items():
            print(
                f"{label:>5}: {stats['throughput']:8.1f} req/s  p50 {stats['p50_ms']:7.2f} ms  "
                f"p99 {stats['p99_ms']:7.2f} ms  ({stats['requests']} requests, "
                f"{stats['failures']} failed, {stats['seconds']}s)"
            )
        ratio = results["app"]["throughput"] / results["floor"]["throughput"]
        print(f"ratio app/floor throughput: {ratio:.2f} (the app reaches {ratio:.0%} of the floor)")
    finally:
        for process in servers:
            stop(process)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        redis = Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(match=f"{name}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentors", type=int, default=200)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

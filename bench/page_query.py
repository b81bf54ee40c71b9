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
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import aiohttp
from harness import ROOT, deployment, free_port, wait_until_ready

sys.path.insert(0, str(ROOT))

from app.db import apply_migrations, open_database
from models.accounts import User
from models.marketplace import (
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


async def run(args: argparse.Namespace) -> None:
    async with deployment() as deployed:
        started = time.perf_counter()
        await seed(deployed.database_url, args.mentors)
        print(f"seeded {args.mentors} mentors in {time.perf_counter() - started:.1f}s")
        app_url = await deployed.serve()
        floor_port = free_port()
        floor = [sys.executable, str(ROOT / "bench" / "floor.py"), deployed.database_url]
        floor_process = deployed.start([*floor, str(floor_port), str(args.first)])
        floor_url = f"http://127.0.0.1:{floor_port}/graphql"
        await wait_until_ready(floor_url, floor_process)
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

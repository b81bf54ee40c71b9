"""Benchmark: a bystander's latency while the heaviest operations allowed run beside it.

    .venv/bin/python bench/bystander_latency.py [--heavy 2] [--requests 200]

Creates a fresh PostgreSQL database, seeds 100 mentors with 23 published posts each, starts
one `mentor-api serve` process (with Redis, as in production; query budgets raised so the
heavy clients are not rate-limited), and measures a small mentors page (the bystander):
first alone (p50 and p99 of ``--requests`` sequential requests), then while ``--heavy``
clients each send, back to back, the heaviest page the cost limit allows (100 mentors with
23 posts each and every scalar, 4 901 points). Prints both, the ratio of the p50s (the
target is at most 3) and the heavy operations' own latency. The clients run in this
process, on the same cores as the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import aiohttp
from harness import ROOT, deployment, percentile

sys.path.insert(0, str(ROOT))

from app.db import apply_migrations, open_database
from tests.support.heavy_page import HEAVIEST_ALLOWED, seed_mentors

BYSTANDER = "query Bystander { mentors(first: 10) { edges { node { name headline } } } }"
UNLIMITED_BUDGET = "1000000000,1000000"


async def seed(database_url: str) -> None:
    await apply_migrations(database_url)
    database = await open_database(database_url)
    try:
        await seed_mentors()
    finally:
        await database.close_connections()


async def timed(session: aiohttp.ClientSession, url: str, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    async with session.post(url, json={"query": query}) as response:
        await response.read()
        return time.perf_counter() - started, response.status


async def bystander(session: aiohttp.ClientSession, url: str, requests: int) -> list[float]:
    latencies = []
    for _ in range(requests):
        latency, status = await timed(session, url, BYSTANDER)
        if status != 200:
            raise SystemExit(f"the bystander was answered {status}")
        latencies.append(latency)
    return latencies


async def heavy_client(
    session: aiohttp.ClientSession, url: str, stop: asyncio.Event, seen: list[tuple[float, int]]
) -> None:
    while not stop.is_set():
        seen.append(await timed(session, url, HEAVIEST_ALLOWED))


def figures(latencies: list[float]) -> str:
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    return f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  ({len(latencies)} requests)"


async def run(args: argparse.Namespace) -> None:
    async with deployment() as deployed:
        await seed(deployed.database_url)
        url = await deployed.serve(
            QUERY_BUDGET_ANONYMOUS=UNLIMITED_BUDGET, QUERY_BUDGET_USER=UNLIMITED_BUDGET
        )
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            _, status = await timed(session, url, HEAVIEST_ALLOWED)
            if status != 200:
                raise SystemExit(f"the heaviest page was answered {status}, not run")
            await bystander(session, url, 20)
            idle = await bystander(session, url, args.requests)
            print(f"bystander alone:          {figures(idle)}")

            stop = asyncio.Event()
            heavy_seen: list[tuple[float, int]] = []
            heavy = [
                asyncio.create_task(heavy_client(session, url, stop, heavy_seen))
                for _ in range(args.heavy)
            ]
            await asyncio.sleep(1.0)  # every heavy client is under way
            loaded = await bystander(session, url, args.requests)
            stop.set()
            await asyncio.gather(*heavy)

        print(f"bystander beside {args.heavy} heavy: {figures(loaded)}")
        statuses = sorted({status for _, status in heavy_seen})
        print(f"heavy operations:         {figures([t for t, _ in heavy_seen])}  status {statuses}")
        ratio = percentile(loaded, 0.5) / percentile(idle, 0.5)
        print(f"bystander p50 ratio loaded/idle: {ratio:.2f} (target at most 3)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heavy", type=int, default=2)
    parser.add_argument("--requests", type=int, default=200)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""Benchmark: recordInteraction throughput with and without ANALYTICS consent, on a real server.

    .venv/bin/python bench/record_interaction.py [--visitors 200] [--concurrency 16]
                                                  [--requests 6000] [--seconds 15]

Creates a fresh PostgreSQL database (BENCH_DATABASE_SERVER, default the local server), starts
`mentor-api serve` on it with Redis (as in production) on 127.0.0.1, behind X-Forwarded-For
from TRUSTED_PROXIES=127.0.0.1 so that callers come from many networks, as real ones do.
Then, for browsers that granted ANALYTICS (a row is written), that withdrew it (the ledger is
read, nothing is written) and that never got a visitor cookie (nothing is read or written),
it sends page views from `--concurrency` connections, checks every answer carries no error
and that rows appear for the first kind only, and prints throughput and p50/p99 for each.
The servers and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import asyncpg
from harness import ROOT, deployment, summary

sys.path.insert(0, str(ROOT))

from app.db import apply_migrations

RECORD = (ROOT / "graphql" / "RecordInteraction.graphql").read_text()
SET_CONSENT = """
mutation SetConsent($input: SetConsentInput!) { setConsent(input: $input) { errors { code } } }
"""
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def network(number: int) -> str:
    """An address in a /24 of its own (throttles and visitors are counted per network)."""
    return f"10.{number // 256 % 256}.{number % 256}.1"


def consent(granted: bool) -> dict[str, Any]:
    return {
        "query": SET_CONSENT,
        "variables": {"input": {"purpose": "ANALYTICS", "granted": granted}},
    }


@dataclass(frozen=True)
class Caller:
    headers: dict[str, str]


async def _post(
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], headers: dict[str, str]
) -> tuple[dict[str, Any], SimpleCookie]:
    async with session.post(url, json=body, headers=headers) as response:
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.getall("Set-Cookie", []):
            cookies.load(header)
        answer: dict[str, Any] = await response.json()
        return answer, cookies


async def visitors(url: str, how_many: int, *, granted: bool, first: int) -> list[Caller]:
    """Browsers that granted ANALYTICS (and, with ``granted`` false, withdrew it again)."""
    callers = []
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        for number in range(first, first + how_many):
            headers = {"User-Agent": FIREFOX, "X-Forwarded-For": network(number)}
            answer, cookies = await _post(session, url, consent(True), headers)
            assert answer["data"]["setConsent"]["errors"] == [], answer
            headers["Cookie"] = f"mentor_visitor={cookies['mentor_visitor'].value}"
            if not granted:
                answer, _ = await _post(session, url, consent(False), headers)
                assert answer["data"]["setConsent"]["errors"] == [], answer
            callers.append(Caller(headers))
    return callers


def strangers(how_many: int, *, first: int) -> list[Caller]:
    """Browsers that never chose anything: no cookie, nothing to read or keep."""
    return [
        Caller({"User-Agent": FIREFOX, "X-Forwarded-For": network(number)})
        for number in range(first, first + how_many)
    ]


async def drive(
    url: str, callers: list[Caller], concurrency: int, max_requests: int, seconds: float
) -> dict[str, float]:
    """Page views from ``callers`` in turn; every answer must be a success without errors."""
    body = {"query": RECORD, "variables": {"input": {"kind": "PAGE_VIEW", "path": "/mentors"}}}
    turns = itertools.cycle(callers)
    latencies: list[float] = []
    failures = 0
    issued = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued, failures
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            caller = next(turns)
            began = time.perf_counter()
            answer, _ = await _post(session, url, body, caller.headers)
            latencies.append(time.perf_counter() - began)
            if "errors" in answer or answer["data"]["recordInteraction"]["errors"]:
                failures += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    jar = aiohttp.DummyCookieJar()
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return summary(latencies, failures, elapsed)


async def rows(database_url: str) -> int:
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        counted: int = await connection.fetchval("SELECT count(*) FROM interactions")
        return counted
    finally:
        await connection.close()


async def measure(url: str, database_url: str, args: argparse.Namespace) -> None:
    n = args.visitors
    scenarios = {
        "granted": await visitors(url, n, granted=True, first=0),
        "withdrawn": await visitors(url, n, granted=False, first=n),
        "no cookie": strangers(n, first=2 * n),
    }
    for label, callers in scenarios.items():
        before = await rows(database_url)
        await drive(url, callers, args.concurrency, 300, 5)  # warm up
        warmed = await rows(database_url)
        stats = await drive(url, callers, args.concurrency, args.requests, args.seconds)
        written = await rows(database_url) - warmed
        print(
            f"{label:>10}: {stats['throughput']:8.1f} req/s  p50 {stats['p50_ms']:6.2f} ms  "
            f"p99 {stats['p99_ms']:6.2f} ms  ({stats['requests']} requests, "
            f"{stats['failures']} with errors, {stats['seconds']}s, {written} rows written)"
        )
        if label != "granted" and warmed - before + written:
            raise SystemExit(f"{label}: rows were written without consent")
        if label == "granted" and written != stats["requests"]:
            raise SystemExit("granted: not every request wrote its row")


async def run(args: argparse.Namespace) -> None:
    async with deployment() as deployed:
        await apply_migrations(deployed.database_url)
        url = await deployed.serve(TRUSTED_PROXIES="127.0.0.1")
        print(f"recordInteraction (PAGE_VIEW), {args.concurrency} connections; measuring…")
        await measure(url, deployed.database_url, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--seconds", type=float, default=15.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

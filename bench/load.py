"""Load generator, run in its own process: POST one GraphQL body over and over, then report.

`python bench/load.py URL BODY_JSON CONCURRENCY MAX_REQUESTS MAX_SECONDS` prints one JSON line:
requests, seconds, throughput and latency percentiles in milliseconds. Bounded both by a
request count and by time, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
from harness import summary


async def drive(url: str, body: bytes, concurrency: int, max_requests: int, seconds: float) -> dict:
    latencies: list[float] = []
    failures = 0
    issued = 0
    deadline = time.perf_counter() + seconds
    headers = {"Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued, failures
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return summary(latencies, failures, elapsed)


if __name__ == "__main__":
    url, body, concurrency, max_requests, seconds = sys.argv[1:6]
    stats = asyncio.run(
        drive(url, body.encode(), int(concurrency), int(max_requests), float(seconds))
    )
    print(json.dumps(stats))

"""Load generator, run in its own process: POST one GraphQL body over and over, then report.

`python bench/load.py URL BODY_JSON CONCURRENCY MAX_REQUESTS MAX_SECONDS [HEADERS_JSON]`
prints one JSON line: requests, failures, seconds, throughput and latency percentiles in
milliseconds, and the first failure seen. Bounded both by a request count and by time,
whichever comes first. A failure is an answer other than 200 or one carrying GraphQL
`errors`: it is counted apart, not as a request served.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp
import orjson
from harness import summary


def failure_of(status: int, body: bytes) -> str | None:
    """Why an answer is not a success, or None. The cheap substring test first: a page of
    mentors is tens of kilobytes, and this process shares the machine with the server."""
    if status != 200:
        return f"HTTP {status}: {body[:300].decode(errors='replace')}"
    if b'"errors"' in body:
        errors = orjson.loads(body).get("errors")
        if errors:
            return json.dumps(errors)[:300]
    return None


async def drive(
    url: str,
    body: bytes,
    concurrency: int,
    max_requests: int,
    seconds: float,
    headers: dict[str, str],
) -> dict[str, object]:
    latencies: list[float] = []
    failures = 0
    first_failure: str | None = None
    issued = 0
    deadline = time.perf_counter() + seconds
    sent_headers = {"Content-Type": "application/json", **headers}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal issued, failures, first_failure
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            started = time.perf_counter()
            async with session.post(url, data=body, headers=sent_headers) as response:
                answer = await response.read()
                failure = failure_of(response.status, answer)
            if failure is None:
                latencies.append(time.perf_counter() - started)
            else:
                failures += 1
                first_failure = first_failure or failure

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    if not latencies:
        return {"requests": 0, "failures": failures, "first_failure": first_failure}
    return {**summary(latencies, failures, elapsed), "first_failure": first_failure}


if __name__ == "__main__":
    url, body, concurrency, max_requests, seconds = sys.argv[1:6]
    headers = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
    stats = asyncio.run(
        drive(url, body.encode(), int(concurrency), int(max_requests), float(seconds), headers)
    )
    print(json.dumps(stats))

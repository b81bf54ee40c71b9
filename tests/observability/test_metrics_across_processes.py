"""Several web processes, one set of figures: with ``PROMETHEUS_MULTIPROC_DIR`` each process
writes its counters to that folder, and whichever process answers a scrape sums them all.

Two real ``mentor-api serve`` processes on a database of their own (PostgreSQL and Redis on
the servers' run, a SQLite file on the embedded one).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import orjson
import pytest

from app.cli import SCHEMA_PATH
from tests.observability.conftest import METRICS_TOKEN, Scraped
from tests.support.backends import Backend, fresh_database
from tests.support.documents import document
from tests.support.processes import serving

MENTORS = document("Mentors")


@pytest.fixture(scope="module")
async def two_servers(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str, Path]]:
    tmp_path = tmp_path_factory.mktemp("two-web-processes")
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    async with fresh_database(backend) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": backend.redis_url or "",
            "REDIS_KEY_PREFIX": f"mentor-metrics-{uuid.uuid4().hex[:12]}:",
            "SECRET_KEY": uuid.uuid4().hex,
            "MENTOR_ENV": "production",
            "MENTOR_DATA_DIR": str(tmp_path),
            "METRICS_TOKEN": METRICS_TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "PYTHONPATH": str(SCHEMA_PATH.parent),
        }
        async with serving(env, tmp_path) as (first, second):
            yield first, second, tmp_path / f"serve-{urlsplit(first).port}.log"


async def _scrape(session: aiohttp.ClientSession, url: str) -> Scraped:
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with session.get(f"{url}/metrics", headers=headers) as response:
        assert response.status == 200
        return Scraped(await response.text())


async def test_either_process_answers_for_the_requests_of_both(
    two_servers: tuple[str, str, Path],
) -> None:
    first, second, _ = two_servers
    async with aiohttp.ClientSession() as session:
        before = [await _scrape(session, first), await _scrape(session, second)]
        for url, times in ((first, 3), (second, 2)):
            for _ in range(times):
                async with session.post(f"{url}/graphql", json={"query": MENTORS}) as response:
                    assert response.status == 200
        scraped = [await _scrape(session, first), await _scrape(session, second)]

    # Each scrape is answered by one process, for both: the first's own would grow by 3.
    for earlier, later in zip(before, scraped, strict=True):
        counted = "mentor_graphql_requests_total"
        assert later.grew(earlier, counted, operation="Mentors", status="200") == 5
        timed = "mentor_graphql_request_duration_seconds_count"
        assert later.grew(earlier, timed, operation="Mentors") == 5


async def test_production_logs_one_json_object_a_line(two_servers: tuple[str, str, Path]) -> None:
    first, _, log = two_servers
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{first}/graphql", json={"query": MENTORS}) as response:
            request_id = response.headers["X-Request-Id"]
        # The access line is written as the answer is sent; the next request sees it done.
        async with session.get(f"{first}/healthz"):
            pass
    lines = (await asyncio.to_thread(log.read_text)).splitlines()
    # Whatever is not a log line is the one line `serve` prints to say where it listens.
    entries = [orjson.loads(line) for line in lines if not line.startswith("mentor-api serving")]
    answered = [entry for entry in entries if entry.get("request_id") == request_id]
    assert [(entry["logger"], entry["operation"], entry["level"]) for entry in answered] == [
        ("aiohttp.access", "Mentors", "INFO")
    ]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in entries)

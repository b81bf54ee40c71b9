"""Query budgets across processes and without Redis: two server processes drain one client's
bucket, and a Redis that cannot be reached is never a 500 — budgets do what
``QUERY_BUDGET_WITHOUT_REDIS`` says, and the log says so once.

Several processes are by definition PostgreSQL + Redis, so the first test runs two real
``mentor-api serve`` processes on the machine's servers in both runs of the suite; the others
point the test app's budgets at a Redis that refuses, or one behind a proxy the test cuts.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from core import limits
from core.runtime import Runtime
from core.settings import (
    ClientBudgets,
    ClientClass,
    ConfigurationError,
    QueryBudget,
    Settings,
    WhenRedisDown,
)
from services.budgets import RedisBudgets, ResilientBudgets
from tests.support.backends import postgres_backend
from tests.support.processes import environment, serving
from tests.support.tcp_proxy import cuttable
from tests.test_query_cost import COSTS_4901, GRAPHQL_RESPONSE, post

SMALL = "{ mentors(first: 10) { totalCount } }"


@pytest.fixture
async def two_servers(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """Two server processes (two ``create_app``) on one database and one Redis prefix."""
    async with postgres_backend(tmp_path) as backend:
        # One point back a second: what one process took is still missing on the other.
        env = environment(backend, QUERY_BUDGET_ANONYMOUS="5000,1")
        async with serving(env, tmp_path) as (first, second):
            yield first, second


async def _ask(session: aiohttp.ClientSession, url: str, query: str) -> tuple[int, Any, Any]:
    async with session.post(
        f"{url}/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    ) as response:
        body = await response.json(content_type=None)
        return response.status, response.headers, body


async def test_two_processes_drain_one_clients_bucket(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    async with aiohttp.ClientSession() as session:
        status, headers, body = await _ask(session, first, COSTS_4901)
        assert (status, headers["X-RateLimit-Remaining"]) == (200, "99")

        status, headers, body = await _ask(session, second, COSTS_4901)
        assert status == 429
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        throttle = body["extensions"]["cost"]["throttleStatus"]
        assert (throttle["maximumAvailable"], throttle["restoreRate"]) == (5000, 1)
        # What the first process took is missing here; a few seconds gave a few points back.
        assert 99 <= throttle["currentlyAvailable"] < 200
        assert int(headers["Retry-After"]) > 4000

        # And what the second one takes, the first one sees.
        status, _, body = await _ask(session, second, SMALL)
        status, _, body = await _ask(session, first, SMALL)
        assert status == 200
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < 200 - 2


@pytest.fixture
def default_budgets(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = runtime.settings.with_overrides(query_budgets=ClientBudgets())
    monkeypatch.setattr(runtime, "settings", settings)


@pytest.fixture
async def refusing_redis() -> AsyncIterator[Redis]:
    """A Redis client for a port nobody listens on."""
    nobody = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    yield nobody
    await nobody.aclose()


def _budgets_on(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, redis: Redis, when_down: WhenRedisDown
) -> None:
    budgets = ResilientBudgets(RedisBudgets(redis, f"budget-test-{uuid.uuid4().hex}:"), when_down)
    monkeypatch.setattr(runtime, "budgets", budgets)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "mentor_api.budgets"]


async def test_without_redis_each_process_keeps_a_quarter_of_each_budget(
    http: TestClient[Any, Any],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    default_budgets: None,
    refusing_redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.budgets")
    _budgets_on(runtime, monkeypatch, refusing_redis, WhenRedisDown.LOCAL)

    response, body = await post(http, SMALL)
    assert response.status == 200
    throttle = body["extensions"]["cost"]["throttleStatus"]
    assert (throttle["maximumAvailable"], throttle["currentlyAvailable"]) == (1250, 1249)
    assert response.headers["X-RateLimit-Limit"] == "1250"

    # The whole budget would allow it; a quarter of it does not.
    response, body = await post(http, COSTS_4901)
    assert response.status == 429
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    response, _ = await post(http, SMALL)
    assert response.status == 200

    [logged] = _warnings(caplog)
    assert "Redis unreachable" in logged
    assert "local" in logged


@pytest.mark.parametrize(
    ("when_down", "status", "available"),
    [(WhenRedisDown.OPEN, 200, 5000), (WhenRedisDown.CLOSED, 429, 0)],
)
async def test_without_redis_budgets_fail_open_or_closed_as_configured(
    http: TestClient[Any, Any],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    default_budgets: None,
    refusing_redis: Redis,
    caplog: pytest.LogCaptureFixture,
    when_down: WhenRedisDown,
    status: int,
    available: int,
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.budgets")
    _budgets_on(runtime, monkeypatch, refusing_redis, when_down)
    for _ in range(3):
        response, body = await post(http, COSTS_4901)
        assert response.status == status
        throttle = body["extensions"]["cost"]["throttleStatus"]
        assert (throttle["maximumAvailable"], throttle["currentlyAvailable"]) == (5000, available)
    if status == 429:
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(response.headers["Retry-After"]) >= 1
    assert len(_warnings(caplog)) == 1


async def test_budgets_are_shared_again_once_redis_answers(
    http: TestClient[Any, Any],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    default_budgets: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="mentor_api.budgets")
    # Redis is tried on every request here, so coming back is seen at once.
    monkeypatch.setattr(limits, "BUDGET_STORE_RETRY_INTERVAL", timedelta(0))
    target = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    async with cuttable(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        redis = Redis.from_url(f"redis://127.0.0.1:{proxy.port}/0", socket_connect_timeout=0.5)
        _budgets_on(runtime, monkeypatch, redis, WhenRedisDown.LOCAL)
        try:
            response, body = await post(http, SMALL)
            assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 5000

            await proxy.cut()
            for _ in range(3):
                response, body = await post(http, SMALL)
                assert response.status == 200
                assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 1250
            assert len(_warnings(caplog)) == 1

            await proxy.restore()
            response, body = await post(http, SMALL)
            throttle = body["extensions"]["cost"]["throttleStatus"]
            # Redis's bucket again, which holds what the first request left.
            assert throttle["maximumAvailable"] == 5000
            assert 4995 <= throttle["currentlyAvailable"] < 5000
            down, back = _warnings(caplog)
            assert ("Redis unreachable" in down, "answers again" in back) == (True, True)
        finally:
            await redis.aclose()


def test_budgets_are_read_from_the_environment_and_nonsense_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    defaults = Settings.from_env()
    assert defaults.query_budgets == ClientBudgets()
    assert defaults.query_budgets.anonymous == QueryBudget(limits.MAX_QUERY_COST, 50)
    assert defaults.budgets_without_redis is WhenRedisDown.LOCAL

    monkeypatch.setenv("QUERY_BUDGET_PARTNER", "50000,500")
    monkeypatch.setenv("QUERY_BUDGET_WITHOUT_REDIS", "closed")
    chosen = Settings.from_env()
    assert chosen.query_budgets.of(ClientClass.PARTNER) == QueryBudget(50000, 500)
    assert chosen.query_budgets.user == ClientBudgets().user
    assert chosen.budgets_without_redis is WhenRedisDown.CLOSED

    for name, value in (
        ("QUERY_BUDGET_USER", "lots"),
        ("QUERY_BUDGET_USER", "100,0"),
        ("QUERY_BUDGET_WITHOUT_REDIS", "maybe"),
    ):
        monkeypatch.setenv(name, value)
        with pytest.raises(ConfigurationError, match=name):
            Settings.from_env()
        monkeypatch.delenv(name)

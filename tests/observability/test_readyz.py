"""GET /readyz: ready only when the database answers with every migration applied and Redis
(when configured) answers; /healthz stays the liveness check (tests/test_http.py)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from tortoise import connections
from tortoise.migrations.recorder import MigrationRecorder

from app.db import MODELS_APP, migration_files
from core.runtime import Runtime
from tests.observability.conftest import refused_port


async def test_a_migration_not_applied_makes_the_process_unready(
    http: TestClient[Any, Any],
) -> None:
    latest = migration_files()[-1]
    recorder = MigrationRecorder(connections.get("default"))
    await recorder.record_unapplied(MODELS_APP, latest)
    try:
        response = await http.get("/readyz")
        body = await response.json()
    finally:
        await recorder.record_applied(MODELS_APP, latest)

    assert response.status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == f"pending: {latest}"
    assert (await http.get("/readyz")).status == 200


async def test_a_redis_that_refuses_makes_the_process_unready(
    http: TestClient[Any, Any], runtime: Runtime
) -> None:
    port = refused_port()
    original = runtime.redis
    refusing = Redis.from_url(f"redis://:hunter2@127.0.0.1:{port}/0")
    runtime.redis = refusing
    try:
        response = await http.get("/readyz")
        text = await response.text()
    finally:
        runtime.redis = original
        await refusing.aclose()

    assert response.status == 503
    body = await response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"] == "ok"
    assert body["checks"]["redis"] == "ConnectionError"
    # Which check failed, never where the server is or how to log in to it.
    assert str(port) not in text
    assert "hunter2" not in text

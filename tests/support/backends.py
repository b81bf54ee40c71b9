"""The two backends the suite runs on, each creating and removing its own state."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis
from tortoise.models import Model

MIGRATIONS_TABLE = "tortoise_migrations"


@dataclass
class Backend:
    database_url: str
    data_dir: Path
    redis_url: str | None = None
    redis_prefix: str = "mentor:"
    # The rows the migrations themselves write (version 1 of the privacy policy), without
    # their ids, in the order they were written.
    migrated_rows: list[tuple[type[Model], dict[str, Any]]] = field(default_factory=list)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgres")

    @staticmethod
    def _models(apps: Any) -> list[type[Model]]:
        return [
            model
            for model in apps.get_models_iterable()
            if model._meta.db_table != MIGRATIONS_TABLE
        ]

    async def remember_migrated_rows(self, apps: Any) -> None:
        """Read what a freshly migrated database holds, for ``truncate`` to put back."""
        self.migrated_rows = []
        for model in self._models(apps):
            key = model._meta.pk_attr
            for row in await model.all().order_by(key).values():
                self.migrated_rows.append((model, {k: v for k, v in row.items() if k != key}))

    async def truncate(self, connection: Any, apps: Any) -> None:
        """Back to a freshly migrated database: every table emptied, then what the migrations
        wrote written again (with the same ids on PostgreSQL, whose sequences restart)."""
        tables = [model._meta.db_table for model in self._models(apps)]
        if self.is_postgres:
            quoted = ", ".join(f'"{table}"' for table in tables)
            await connection.execute_script(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            script = "".join(f'DELETE FROM "{table}";' for table in tables)
            await connection.execute_script(
                f"PRAGMA foreign_keys=OFF;{script}PRAGMA foreign_keys=ON;"
            )
        for model, values in self.migrated_rows:
            await model.create(**values)

    async def forget_redis_keys(self, redis: Redis) -> None:
        keys = [key async for key in redis.scan_iter(match=f"{self.redis_prefix}*", count=500)]
        if keys:
            await redis.delete(*keys)


@asynccontextmanager
async def sqlite_backend(data_dir: Path) -> AsyncIterator[Backend]:
    yield Backend(database_url=f"sqlite://{data_dir / 'test.sqlite3'}", data_dir=data_dir)


@asynccontextmanager
async def postgres_backend(data_dir: Path) -> AsyncIterator[Backend]:
    """A fresh database on the PostgreSQL server and a fresh key prefix on the Redis server."""
    server = os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    name = f"mentor_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server.replace("postgres://", "postgresql://", 1))
    redis = Redis.from_url(redis_url)
    await redis.ping()
    await admin.execute(f'CREATE DATABASE "{name}"')
    backend = Backend(
        database_url=server.rsplit("/", 1)[0] + f"/{name}",
        data_dir=data_dir,
        redis_url=redis_url,
        redis_prefix=f"mentor-test-{uuid.uuid4().hex[:12]}:",
    )
    try:
        yield backend
    finally:
        await backend.forget_redis_keys(redis)
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@asynccontextmanager
async def fresh_database(backend: Backend) -> AsyncIterator[str]:
    """The URL of a new, empty database on the backend's server (a new SQLite file on the
    embedded backend), removed afterwards."""
    name = f"mentor_fresh_{uuid.uuid4().hex[:12]}"
    if not backend.is_postgres:
        path = backend.data_dir / f"{name}.sqlite3"
        try:
            yield f"sqlite://{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    server = backend.database_url.rsplit("/", 1)[0]
    admin = await asyncpg.connect(f"{server}/postgres".replace("postgres://", "postgresql://", 1))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

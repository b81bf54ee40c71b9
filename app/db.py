"""Tortoise configuration and lifecycle: one context per process, kept and closed by its owner."""

from __future__ import annotations

import os
import pkgutil
from datetime import timedelta
from functools import cache
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.recorder import MigrationRecorder

from models import MODEL_MODULES, migrations

MODELS_APP = "models"


def _securely_deleting(database_url: str) -> str:
    """SQLite overwrites what is deleted (``secure_delete``): erased personal data must not
    linger in the file's free pages."""
    if not database_url.startswith("sqlite") or "secure_delete" in database_url:
        return database_url
    return f"{database_url}{'&' if '?' in database_url else '?'}secure_delete=ON"


def _bounded(database_url: str, statement_timeout: timedelta | None) -> str | dict[str, Any]:
    """The connection, its statements bounded: PostgreSQL ends one running past
    ``statement_timeout`` (waiting for a lock included), and SQLite gives up a write waiting
    that long for another connection's lock (``busy_timeout``; Python's default is 5 s)."""
    url = _securely_deleting(database_url)
    if statement_timeout is None:
        return url
    milliseconds = int(statement_timeout.total_seconds() * 1000)
    connection = expand_db_url(url)
    credentials = connection["credentials"]
    engine = connection["engine"]
    if engine == "tortoise.backends.sqlite":
        credentials["busy_timeout"] = milliseconds
    elif engine == "tortoise.backends.asyncpg":
        credentials["server_settings"] = {"statement_timeout": str(milliseconds)}
    else:
        raise ValueError(f"no statement timeout is known for {engine}")
    return connection


def tortoise_config(
    database_url: str, *, statement_timeout: timedelta | None = None
) -> dict[str, Any]:
    return {
        "connections": {"default": _bounded(database_url, statement_timeout)},
        "apps": {
            MODELS_APP: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by the `tortoise` CLI: `tortoise -c app.db.TORTOISE_ORM makemigrations`.
TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://.var/mentor.sqlite3"))


async def apply_migrations(database_url: str) -> None:
    """Bring the schema up to the checked-in migrations, with no statement timeout: building
    an index on a large table may rightly take minutes."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def open_database(
    database_url: str, *, statement_timeout: timedelta | None = None
) -> TortoiseContext:
    """The server passes its statement timeout; a one-off command (seed-demo) runs unbounded."""
    return await Tortoise.init(
        config=tortoise_config(database_url, statement_timeout=statement_timeout)
    )


@cache
def migration_files() -> tuple[str, ...]:
    """The names of the checked-in migrations, as Tortoise's loader finds them."""
    return tuple(
        sorted(
            name
            for _, name, is_package in pkgutil.iter_modules(migrations.__path__)
            if not is_package and name[0] not in "_~"
        )
    )


async def pending_migrations(connection: BaseDBAsyncClient) -> list[str]:
    """The checked-in migrations the database has not recorded as applied."""
    applied = await MigrationRecorder(connection).applied_migrations()
    done = {key.name for key in applied if key.app_label == MODELS_APP}
    return [name for name in migration_files() if name not in done]

"""Tortoise configuration and lifecycle: one context per process, kept and closed by its owner."""

from __future__ import annotations

import os
import pkgutil
from functools import cache
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
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


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _securely_deleting(database_url)},
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
    """Bring the schema up to the checked-in migrations."""
    await migrate(config=tortoise_config(database_url))
    await Tortoise.close_connections()


async def open_database(database_url: str) -> TortoiseContext:
    return await Tortoise.init(config=tortoise_config(database_url))


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

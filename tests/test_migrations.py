"""The checked-in migrations describe the models exactly: a model change needs its migration."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from tortoise.exceptions import IntegrityError

from app.cli import SCHEMA_PATH
from models.marketplace import Job
from models.payments import Payment
from tests.support.users import UserFactory

# What `tortoise makemigrations` would write, run in a process of its own so this session's
# Tortoise context stays untouched.
PENDING_MIGRATIONS = """
import asyncio
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector
from app.db import tortoise_config

async def main():
    config = tortoise_config("sqlite://:memory:")
    context = await Tortoise.init(config=config)
    try:
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    finally:
        await context.close_connections()
    for writer in writers:
        print(writer.name, [type(operation).__name__ for operation in writer.operations])

asyncio.run(main())
"""


def test_no_model_change_lacks_its_migration() -> None:
    checked = subprocess.run(
        [sys.executable, "-c", PENDING_MIGRATIONS],
        env={**os.environ, "PYTHONPATH": str(SCHEMA_PATH.parent)},
        cwd=SCHEMA_PATH.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert checked.stdout == "", (
        "models changed without a migration; run "
        "`tortoise -c app.db.TORTOISE_ORM makemigrations`:\n" + checked.stdout
    )


async def test_the_migrated_schema_keeps_one_payment_per_job(users: UserFactory) -> None:
    client, mentor = await users.create("Carla"), await users.create("Mona")
    job = await Job.create(client=client.user, mentor=mentor.user, description="Help")
    shared = {"job": job, "client": client.user, "amount_cents": 5000, "currency": "EUR"}
    await Payment.create(**shared, stripe_payment_intent_id="pi_first")
    with pytest.raises(IntegrityError):
        await Payment.create(**shared, stripe_payment_intent_id="pi_second")

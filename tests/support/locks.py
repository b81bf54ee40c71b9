"""Another connection holding the database's locks, as a second process or a long
transaction would: the app's statements then wait for real."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from tests.support.backends import Backend


@asynccontextmanager
async def writes_held(backend: Backend, table: str) -> AsyncIterator[None]:
    """Until the block ends, nobody else can write to ``table``: on PostgreSQL a transaction
    holds its EXCLUSIVE lock (reads go on); on SQLite one holds the database's write lock
    (BEGIN IMMEDIATE; in WAL mode reads go on), which covers every table."""
    if backend.is_postgres:
        url = backend.database_url.replace("postgres://", "postgresql://", 1)
        connection = await asyncpg.connect(url)
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE')
            yield
        finally:
            await transaction.rollback()
            await connection.close()
        return
    path = backend.database_url.removeprefix("sqlite://")
    lite = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # In a thread: the app may be mid-write, and its loop must go on to finish it.
        await asyncio.to_thread(lite.execute, "BEGIN IMMEDIATE")
        try:
            yield
        finally:
            lite.execute("ROLLBACK")
    finally:
        lite.close()

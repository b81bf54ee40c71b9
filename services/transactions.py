"""Transactions that a cancellation cannot leave half open.

Tortoise's ``in_transaction`` takes the database before it begins: SQLite's one connection
behind a lock, or a connection out of PostgreSQL's pool. A task cancelled between the two (a
request stopped at its timeout, a field GraphQL cancels beside a failed sibling) leaves that
lock held or that connection out, and on SQLite every later statement of the process waits
forever. ``transaction`` lets Tortoise's entry and exit (one statement each: BEGIN, then
COMMIT or ROLLBACK, bounded by the database's statement timeout) finish whatever happens to
the task meanwhile, and only then lets a cancellation go on: a body cancelled while entering
or within rolls back, and the database is free again. They finish before the task goes on,
not in the background, so a nested transaction's savepoint never outlives its parent's
exit.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

T = TypeVar("T")


async def _to_the_end(work: Coroutine[Any, Any, T], context: contextvars.Context) -> tuple[T, bool]:
    """``work`` run in ``context`` until it is done, even when the awaiting task is cancelled
    meanwhile: its result, and whether that task was cancelled (for the caller to raise once
    it has put things back)."""
    task = asyncio.get_running_loop().create_task(work, context=context)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    return task.result(), cancelled


@asynccontextmanager
async def transaction(connection_name: str | None = None) -> AsyncIterator[BaseDBAsyncClient]:
    """``in_transaction``, entered and left to the end even under cancellation.

    Tortoise's own entry and exit run in a context of their own (where they set the
    transaction's connection and reset it); the body sees the same connection through the
    caller's context, set here. Cancelled while entering, it leaves at once, rolling back,
    and the cancellation goes on."""
    tortoise_context = contextvars.copy_context()
    manager = tortoise_context.run(in_transaction, connection_name)
    connection, cancelled = await _to_the_end(manager.__aenter__(), tortoise_context)
    if cancelled:
        stopped = asyncio.CancelledError()
        leaving = manager.__aexit__(asyncio.CancelledError, stopped, None)
        await _to_the_end(leaving, tortoise_context)
        raise stopped
    token = connections.set(connection.connection_name, connection)
    try:
        yield connection
    except BaseException as error:
        leaving = manager.__aexit__(type(error), error, error.__traceback__)
        await _to_the_end(leaving, tortoise_context)
        raise
    else:
        _, cancelled = await _to_the_end(manager.__aexit__(None, None, None), tortoise_context)
        if cancelled:
            raise asyncio.CancelledError
    finally:
        connections.reset(token)

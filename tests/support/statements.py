"""Counting the SQL statements a request costs, from Tortoise's own debug log of each one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from app.tasks import SWEEP_TASK, WORKER_TASK

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class StatementCounter(logging.Handler):
    """Counts the statements Tortoise sends, from its own debug log of each one, leaving out
    the background sweep's and worker's, which run on their own clock beside the requests."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        task = asyncio.current_task()
        if task is not None and task.get_name() in (SWEEP_TASK, WORKER_TASK):
            return
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            self.statements.append(message)


@contextlib.contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    """A counter of every statement sent inside the block. The debug records stop at the
    counter: pytest would otherwise keep every one (and print them all with a failure)."""
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous[0])
        logger.propagate = previous[1]

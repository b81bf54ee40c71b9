"""Running a plan: one pass over the selection, then one wait for everything pending, level by
level, until nothing is left; or a bail-out, after which graphql-core answers the request.

A plan answers only when the answer is certain to be the one graphql-core would give without
errors. Whatever else happens (a resolver raising, a null in a non-null position, a value its
scalar refuses, variables that do not coerce, a list past the response bound) raises
``Bail``: the request then runs through graphql-core, which shapes the errors and propagates
the nulls as the spec says. Only queries are compiled, and query resolvers are safe to run
again (the database retry of ``RerunQueryOnLostConnection`` already runs them twice).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode
from graphql.pyutils import Path

from core.errors import ResponseTooLarge
from resolvers.loaders import is_pending
from resolvers.pacing import LOOP_SHARE

if TYPE_CHECKING:
    from resolvers.schema import MentorSchema, RowsAreValues

# completes a resolved value at a path into its JSON form
Complete = Callable[[Any, "Path | None", "Run"], Any]


class Bail(Exception):
    """The plan cannot give graphql-core's exact answer; graphql-core gives it instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Run:
    """One execution of a plan: the request's executor (for variables and the resolve infos
    resolvers receive, exactly as graphql-core builds them), the work pending for the next
    wait, and the bounds the response keeps."""

    __slots__ = ("arguments", "deferred", "executor", "pending", "time_slice")

    def __init__(self, executor: RowsAreValues) -> None:
        self.executor = executor
        self.pending: list[tuple[Awaitable[Any], Any, Any, Complete, Path | None]] = []
        # A field's arguments depend on the document and the variables only: converted once.
        self.arguments: dict[int, dict[str, Any]] = {}
        self.time_slice = executor.time_slice
        # Work put off once the loop's slice is spent, done after the loop has had a turn.
        self.deferred: deque[Callable[[], None]] = deque()

    def later(
        self, value: Awaitable[Any], target: Any, key: Any, complete: Complete, path: Path | None
    ) -> None:
        """Fill ``target[key]`` with ``complete(value)`` once ``value`` settles."""
        self.pending.append((value, target, key, complete, path))

    def count_list(self, items: int) -> None:
        """Counted against the response's bound as graphql-core's completion counts them."""
        try:
            self.executor.count_list_items(items)
        except ResponseTooLarge as error:
            raise Bail("the answer holds more list items than a response may") from error

    def slice_spent(self) -> bool:
        return LOOP_SHARE.spent(self.time_slice)

    def defer(self, work: Callable[[], None]) -> None:
        """Do ``work`` in a later turn of the loop: a long list shares the loop with other
        requests, as graphql-core's completion does (``RowsAreValues``), without a task or
        future per piece."""
        self.deferred.append(work)

    async def settle(self) -> None:
        """Do what was put off, a slice per turn of the loop; then wait for each level's
        pending work at once: every loader asked in one pass batches into one query, as
        graphql-core's awaiting does."""
        loop = asyncio.get_running_loop()
        while self.pending or self.deferred:
            while self.deferred:
                LOOP_SHARE.renew_after_turn(loop)
                await asyncio.sleep(0)
                self.deferred.popleft()()
                while self.deferred and not self.slice_spent():
                    self.deferred.popleft()()
            if not self.pending:
                continue
            batch, self.pending = self.pending, []
            values = await asyncio.gather(*(entry[0] for entry in batch), return_exceptions=True)
            for (_, target, key, complete, path), value in zip(batch, values, strict=True):
                if isinstance(value, Bail):
                    raise value
                if isinstance(value, Exception):
                    raise Bail(f"a resolver raised {type(value).__name__}") from value
                if isinstance(value, BaseException):
                    raise value
                target[key] = complete(value, path, self)

    async def abandon(self) -> None:
        """Settle what was started before a bail-out, so no loader's future or coroutine is
        left unawaited while graphql-core runs the request again."""
        self.deferred.clear()
        pending, self.pending = self.pending, []
        if pending:
            await asyncio.gather(*(entry[0] for entry in pending), return_exceptions=True)


def start(
    schema: MentorSchema,
    document: DocumentNode,
    context: Any,
    root_value: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> Run:
    """A run with the request's variables coerced as graphql-core coerces them; variables
    that do not coerce bail out, so graphql-core reports them."""
    executor_class: type[RowsAreValues] = schema.execution_context_class  # type: ignore[assignment]
    built = executor_class.build(
        schema._schema,
        document,
        root_value,
        context,
        variables,
        operation_name,
        is_awaitable=is_pending,  # type: ignore[arg-type]
    )
    if isinstance(built, list):
        raise Bail("the variables do not coerce")
    return Run(built)  # type: ignore[arg-type]

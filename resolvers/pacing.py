"""Execution shares the event loop: it hands it back after each slice of CPU time.

graphql-core completes everything a resolver returns synchronously in one go, so an operation
over many loaded rows held the loop for as long as it ran: every other request waited, and the
request timeout (``MentorSchema.execute``), a timer on that same loop, could not fire. The slice
is one for the whole process, not per operation: two heavy operations together still give the
loop back every slice, and a bystander waits about a slice at each of its steps.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from core import limits


class LoopShare:
    """When the current slice began, renewed once the loop has had a turn.

    The renewal is a callback queued on the loop, so it runs only after what was already
    waiting there: a slice never begins twice in one turn, however many operations resume.
    """

    def __init__(self, slice_seconds: float) -> None:
        self.slice_seconds = slice_seconds
        self.started = time.perf_counter()
        self.renewal_on: asyncio.AbstractEventLoop | None = None

    def spent(self, slice_seconds: float | None = None) -> bool:
        """Whether this turn's slice is used up, for an operation whose own slice (shorter for
        a heavy one) is ``slice_seconds``."""
        allowed = self.slice_seconds if slice_seconds is None else slice_seconds
        return time.perf_counter() - self.started > allowed

    def renew_after_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.renewal_on is not loop:
            self.renewal_on = loop
            loop.call_soon(self._renew)

    def _renew(self) -> None:
        self.started = time.perf_counter()
        self.renewal_on = None


LOOP_SHARE = LoopShare(limits.EXECUTION_TIME_SLICE.total_seconds())


class Backlog:
    """One operation's work put off until the loop has had its turn, done in order, a slice
    at a time.

    One queue and one callback per operation, rather than a task per piece of work that each
    wakes to check the clock: a heavy operation defers thousands of objects, and each turn then
    runs one slice of them, not a wake-up of every one. Work whose operation was cancelled
    meanwhile (the request timeout) is dropped unrun.
    """

    def __init__(
        self,
        is_pending: Callable[[Any], bool],
        share: LoopShare = LOOP_SHARE,
        slice_seconds: float | None = None,
    ) -> None:
        self.is_pending = is_pending
        self.share = share
        self.slice_seconds = slice_seconds
        self.queue: deque[tuple[Callable[[], Any], asyncio.Future[Any], contextvars.Context]]
        self.queue = deque()
        self.scheduled = False

    def later(self, work: Callable[[], Any]) -> Awaitable[Any]:
        """What ``work()`` gives, done in a later turn of the loop once it is awaited.

        Queued only when awaited: GraphQL drops what it made for an operation the deadline
        ended without awaiting it, and work done for nobody would only make more of that."""
        return self._settled(work, contextvars.copy_context())

    async def _settled(self, work: Callable[[], Any], context: contextvars.Context) -> Any:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.queue.append((work, done, context))
        self._schedule(loop)
        try:
            result = await done
        except asyncio.CancelledError:
            _discard(done)
            raise
        return await result if self.is_pending(result) else result

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self.scheduled:
            self.scheduled = True
            self.share.renew_after_turn(loop)
            loop.call_soon(self._run_slice)

    def _run_slice(self) -> None:
        """The work that fits in what is left of this slice, and at least one piece: a
        backlog queued behind a heavier one in every turn would otherwise find the slice
        always spent. A piece begun past the slice defers its own objects at once."""
        self.scheduled = False
        progressed = False
        while self.queue and not (progressed and self.share.spent(self.slice_seconds)):
            work, done, context = self.queue.popleft()
            if done.cancelled():
                continue
            progressed = True
            try:
                result = context.run(work)
            except Exception as error:
                done.set_exception(error)
            else:
                done.set_result(result)
        if self.queue:
            self._schedule(asyncio.get_running_loop())


def _discard(done: asyncio.Future[Any]) -> None:
    """Close the coroutine a piece of work gave when its operation was cancelled before
    awaiting it. Closing it drops the coroutines graphql-core made inside it, unawaited on
    purpose: their operation is over, so the warning each would give says nothing."""
    if done.done() and not done.cancelled() and done.exception() is None:
        result = done.result()
        if inspect.iscoroutine(result):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result.close()
                del result

"""Background work on taskiq: Redis when configured, in-process when not.

The database is the source of truth for pending work (the outbox, Stripe events waiting for
another, interaction records and privacy questions past their retention, data exports and
legal disclosures to build or expire, security incidents half told, material privacy-policy
versions to announce); a task message only wakes a worker early, and a periodic sweep picks
up anything a lost message, a crash or an early event left behind.

With Redis, web processes only enqueue and ``mentor-api worker`` processes consume; one of them
at a time sweeps (``app.sweep_leader``). The embedded default's single process does both.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq_redis import ListQueueBroker

from app.redis_client import task_queue_options
from app.sweep_leader import SoleSweeper, Sweeper, SweepLeader
from core import clock, limits
from core.outages import Backoff, Outage
from core.runtime import Runtime
from core.settings import Settings
from services import analytics, incidents, marketing, partners, privacy_questions
from services.deletion import erasure
from services.email import FolderMailer, Mailer, SmtpMailer, deliver_pending
from services.payments import events
from services.privacy import exports, legal_disclosures, policy_notices

logger = logging.getLogger("mentor_api.tasks")

DELIVER_OUTBOX = "deliver_outbox"
BUILD_EXPORTS = "build_exports"
ANNOUNCE_POLICIES = "announce_policies"
BUILD_DISCLOSURES = "build_legal_disclosures"


def build_mailer(settings: Settings) -> Mailer:
    if settings.smtp_url:
        return SmtpMailer(settings.smtp_url, settings.smtp_timeout)
    return FolderMailer(settings.mail_drop_dir)


# Named, so that what they do can be told apart from the requests' work (logs, statement counts).
SWEEP_TASK = "mentor-api background sweep"
# How long stopping waits for running jobs to end before it cuts them off.
STOP_GRACE_SECONDS = 10
WORKER_TASK = "mentor-api background worker"


class _JobGate:
    """Background jobs run side by side; a pause waits for the running ones to end and holds
    new ones back until it is over."""

    def __init__(self) -> None:
        self._changed = asyncio.Condition()
        self._running = 0
        self._pauses = 0

    @contextlib.asynccontextmanager
    async def job(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._pauses == 0)
            self._running += 1
        try:
            yield
        finally:
            async with self._changed:
                self._running -= 1
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def pause(self) -> AsyncIterator[None]:
        async with self._changed:
            self._pauses += 1
            try:
                await self._changed.wait_for(lambda: self._running == 0)
            except BaseException:  # cancelled, or timed out, while waiting
                self._pauses -= 1
                self._changed.notify_all()
                raise
        try:
            yield
        finally:
            async with self._changed:
                self._pauses -= 1
                self._changed.notify_all()


def _cancelling() -> bool:
    """This task was asked to stop. redis-py can swallow a cancel that lands while a command
    starts (its read then runs to the end), so the reader checks after each read itself."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class TaskQueue(ListQueueBroker):
    """taskiq's Redis list queue, read so that an outage is one warning and a recovery one
    more: its own ``listen`` retries a lost connection at once, in a tight loop, and blocks
    on a read that no socket timeout may bound. Here each read waits at most
    ``TASK_QUEUE_WAIT_SECONDS`` (under the pool's socket timeout, so a dead server is noticed)
    and reconnects back off, doubling up to ``RECONNECT_LAST_WAIT_MS``."""

    def __init__(self, url: str, queue_name: str) -> None:
        super().__init__(url, queue_name=queue_name, **task_queue_options())

    async def listen(self) -> AsyncGenerator[bytes, None]:
        outage = Outage(logger)
        backoff = Backoff(
            timedelta(milliseconds=limits.RECONNECT_FIRST_WAIT_MS),
            timedelta(milliseconds=limits.RECONNECT_LAST_WAIT_MS),
        )
        while True:
            try:
                async with Redis(connection_pool=self.connection_pool) as redis:
                    popped = await redis.brpop(
                        [self.queue_name], timeout=limits.TASK_QUEUE_WAIT_SECONDS
                    )
            except (RedisError, OSError) as error:
                if _cancelling():
                    raise asyncio.CancelledError from error
                outage.failed(
                    "task queue: Redis unreachable (%s); reconnecting", type(error).__name__
                )
                await asyncio.sleep(backoff.next_wait())
                continue
            if _cancelling():  # a cancel redis-py swallowed on the way in; seen here at last
                raise asyncio.CancelledError
            outage.answered("task queue: Redis answers again; listening")
            backoff.reset()
            if popped is not None:
                _, message = popped
                yield message if isinstance(message, bytes) else message.encode()


class BackgroundWork:
    """The broker, its tasks, and the sweep that backs them up."""

    def __init__(self, settings: Settings, mailer: Mailer) -> None:
        self._settings = settings
        self._mailer = mailer
        self._gate = _JobGate()
        self.broker: AsyncBroker = (
            TaskQueue(settings.redis_url, queue_name=f"{settings.redis_key_prefix}tasks")
            if settings.redis_url
            else InMemoryBroker()
        )

        async def deliver_outbox_task() -> int:
            async with self._gate.job():
                return await self.deliver_outbox()

        async def build_exports_task() -> int:
            async with self._gate.job():
                return await self.build_exports()

        async def announce_policies_task() -> int:
            async with self._gate.job():
                return await self.announce_policies()

        async def build_disclosures_task() -> int:
            async with self._gate.job():
                return await self.build_disclosures()

        self._deliver = self.broker.register_task(deliver_outbox_task, task_name=DELIVER_OUTBOX)
        self._export = self.broker.register_task(build_exports_task, task_name=BUILD_EXPORTS)
        self._announce = self.broker.register_task(
            announce_policies_task, task_name=ANNOUNCE_POLICIES
        )
        self._disclose = self.broker.register_task(
            build_disclosures_task, task_name=BUILD_DISCLOSURES
        )
        # The task and the sweep of one process build one export (one disclosure) at a time.
        self._exporting = asyncio.Lock()
        self._disclosing = asyncio.Lock()
        # ... and announce one policy version at a time (processes take turns on its row).
        self._announcing = asyncio.Lock()
        self._loops: list[asyncio.Task[None]] = []
        self._runtime: Runtime  # given at start: the runtime holds this as its outbox
        self._next_partner_share = 0.0  # monotonic time; the first sweep shares at once

    async def deliver_outbox(self) -> int:
        return await deliver_pending(
            self._mailer,
            mail_from=self._settings.mail_from,
            max_attempts=self._settings.outbox_max_attempts,
            send_timeout=self._settings.smtp_timeout,
        )

    async def roll_up_interactions(self) -> int:
        """Interaction records past their retention become daily counts that name nobody."""
        return await analytics.roll_up(clock.now() - self._settings.analytics_retention)

    async def finish_campaigns(self) -> int:
        """Campaigns a crash or a lost request left SENDING."""
        return await marketing.resume_sending(self._runtime)

    async def finish_incident_notices(self) -> int:
        """Security incidents whose affected users a crash or a failure left half told."""
        return await incidents.resume_notifying(self._runtime)

    async def erase_accounts(self) -> int:
        """Accounts past their grace period are erased; what the law kept, once its time is up."""
        erased = await erasure.erase_due(self._runtime)
        return erased + await erasure.purge_due(self._runtime)

    async def forget_privacy_questions(self) -> int:
        """Privacy questions past their retention, with the mail about them."""
        return await privacy_questions.forget_expired(self._runtime)

    async def share_with_partners(self) -> int:
        return await partners.share(self._runtime)

    async def build_exports(self) -> int:
        """Data exports requested, or left half-built by a crash."""
        async with self._exporting:
            return await exports.build_pending(self._runtime)

    async def announce_policies(self) -> int:
        """Material policy versions in force whose users are not all notified yet."""
        async with self._announcing:
            return await policy_notices.announce_due(self._runtime)

    async def expire_exports(self) -> int:
        """Data exports past their day: the archive deleted, the export EXPIRED."""
        return await exports.expire(self._runtime)

    async def build_disclosures(self) -> int:
        """Legal disclosures requested, or left half-built by a crash."""
        async with self._disclosing:
            return await legal_disclosures.build_pending(self._runtime)

    async def expire_disclosures(self) -> int:
        """Legal disclosures nobody downloaded in their lifetime: the package deleted."""
        return await legal_disclosures.expire(self._runtime)

    def partner_round_due(self) -> bool:
        """Whether the sweep shares with advertising partners this time: at start, then once a
        ``partner_share_interval``, since a round reads the whole consenting audience."""
        now = time.monotonic()
        if now < self._next_partner_share:
            return False
        self._next_partner_share = now + self._settings.partner_share_interval.total_seconds()
        return True

    async def forget(self, address: str) -> int:
        return await self._mailer.forget(address)

    async def wake(self) -> None:
        """Ask a worker to deliver pending mail now. Called after the change that wrote the
        mail has committed, so a failure here must not undo the answer: the sweep covers it."""
        await self._kick(self._deliver, "the mail worker")

    async def wake_exports(self) -> None:
        """Ask a worker to build pending data exports now; like ``wake``, after the commit,
        and a failure is the sweep's to cover."""
        await self._kick(self._export, "the export worker")

    async def wake_policy_notices(self) -> None:
        """Ask a worker to announce a material policy version now in force; like ``wake``,
        after the commit, and a failure is the sweep's to cover."""
        await self._kick(self._announce, "the policy announcer")

    async def wake_disclosures(self) -> None:
        """Ask a worker to build pending legal disclosures now; like ``wake_exports``."""
        await self._kick(self._disclose, "the disclosure worker")

    async def _kick(
        self, task: AsyncTaskiqDecoratedTask[[], Coroutine[Any, Any, int]], whom: str
    ) -> None:
        """Bounded by ``MAX_WAKE_WAIT_MS``: a hung Redis must not hold an answer whose work
        is in the database already."""
        try:
            async with asyncio.timeout(limits.MAX_WAKE_WAIT_MS / 1000):
                await task.kiq()
        except Exception as error:
            logger.warning("waking %s failed: %s", whom, type(error).__name__)

    async def start(self, runtime: Runtime, *, consume: bool) -> None:
        """Start the broker; with ``consume``, also the worker and the sweep, whose jobs act
        with ``runtime``."""
        self._runtime = runtime
        await self.broker.startup()
        if consume and self._settings.redis_url:
            self._loops.append(
                asyncio.create_task(run_receiver_task(self.broker), name=WORKER_TASK)
            )
        if consume:
            self._loops.append(asyncio.create_task(self._sweep(), name=SWEEP_TASK))

    async def _sweep(self) -> None:
        interval = self._settings.outbox_sweep_interval.total_seconds()
        sweeper: Sweeper = (
            SweepLeader(self._runtime.redis, self._settings.redis_key_prefix)
            if self._runtime.redis is not None
            else SoleSweeper()
        )
        while True:
            async with sweeper.leading() as leading:
                if leading:
                    await self.sweep_round(sweeper)
            await asyncio.sleep(interval)

    async def sweep_round(self, sweeper: Sweeper) -> None:
        """Every step once, in order, while ``sweeper`` still leads."""
        steps: list[Callable[[], Awaitable[object]]] = [
            self.deliver_outbox,
            events.process_pending,
            self.roll_up_interactions,
            self.finish_campaigns,
            self.finish_incident_notices,
            self.erase_accounts,
            self.build_exports,
            self.expire_exports,
            self.forget_privacy_questions,
            self.announce_policies,
            self.build_disclosures,
            self.expire_disclosures,
        ]
        if self.partner_round_due():
            steps.append(self.share_with_partners)
        for step in steps:
            if not sweeper.holds:
                return
            await self._guarded(step)

    async def _guarded(self, job: Callable[[], Awaitable[object]]) -> None:
        try:
            async with self._gate.job():
                await job()
        except Exception as error:  # a failing sweep must not end the loop
            logger.error("sweep failed: %s", type(error).__name__)

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No background job of this process runs inside: the running ones finish first, and
        new ones (the sweep's, the woken tasks') wait until it ends. Stopping uses it so no
        job is cut off half way; the tests, to reset the database under a quiet worker."""
        async with self._gate.pause():
            yield

    async def stop(self) -> None:
        """Stop the sweep and the worker once their running jobs end; one still running after
        ``STOP_GRACE_SECONDS`` is cut off (its transaction rolls back, and a sweep does it
        again)."""
        try:
            async with asyncio.timeout(STOP_GRACE_SECONDS), self.paused():
                await self._end_loops()
        except TimeoutError:
            await self._end_loops()
        await self.broker.shutdown()

    async def _end_loops(self) -> None:
        for loop in self._loops:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        self._loops.clear()

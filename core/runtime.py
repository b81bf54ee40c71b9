"""The process's infrastructure as the services see it: one ``Runtime``, built by the app.

Each handle is typed by a protocol declared here, so a service depends on what it needs and
never on the app that wires the real thing (Redis, the file store, Stripe, the task queue).
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import stripe
from redis.asyncio import Redis

from core.settings import AdvertisingPartner, QueryBudget, Settings


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` attempts in ``window``."""

    limit: int
    window: timedelta


@dataclass(frozen=True)
class Tally:
    """How many different members a key saw within a window, and the earliest sighting."""

    count: int
    since: datetime


class ThrottleUnavailable(Exception):
    """The store that counts attempts (Redis) cannot be reached. A guard against abuse of the
    account (log-in) lets nothing through then; a guard against floods may let the work on."""


class Throttle(Protocol):
    async def take(self, key: str, budget: Budget) -> int:
        """Count one attempt against ``key`` and answer the seconds to wait when it is over
        the budget, 0 when it is within. Counting before the work it guards means attempts
        sent all at once cannot slip under the limit together. The window starts at the
        first attempt. Raises ``ThrottleUnavailable`` when its store cannot be reached."""

    async def give_back(self, key: str) -> None:
        """Uncount one attempt that turned out not to be a failure."""

    async def forgive(self, key: str) -> None:
        """Forget the attempts counted against ``key``."""

    async def tally(self, key: str, member: str, window: timedelta) -> Tally:
        """Note ``member`` under ``key`` now (``core.clock``) and answer how many different
        members it saw in the last ``window``, each at its latest sighting (one network's
        failed log-ins, member by account). Raises ``ThrottleUnavailable`` like ``take``."""


@dataclass(frozen=True)
class BucketState:
    """A client's bucket of query cost after one operation asked for its cost."""

    maximum: int
    available: float
    restore_rate: int
    # The cost asked for was taken; False: the bucket holds less, and nothing was taken.
    granted: bool

    def seconds_until(self, points: float) -> int:
        """Whole seconds until the bucket holds ``points`` (0 when it does now)."""
        missing = min(points, self.maximum) - self.available
        return max(0, math.ceil(missing / self.restore_rate))


class QueryBudgets(Protocol):
    async def spend(self, key: str, cost: int, budget: QueryBudget) -> BucketState:
        """Restore what the time since the last operation gave back to ``key``'s bucket
        (never above its capacity), then take ``cost`` from it if it holds that much, in
        one step no other operation can interleave with: Redis when configured, so every
        process drains one bucket. Never raises; a store that cannot be reached answers as
        ``Settings.budgets_without_redis`` says."""


class FileStore(Protocol):
    async def put(self, data: bytes, *, suffix: str) -> str:
        """Store ``data`` under a new unguessable key and return the key."""

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


class Outbox(Protocol):
    """The background worker, woken after a commit that left it work; its sweep does the
    same work later if the wake is lost."""

    async def wake(self) -> None:
        """Ask a worker to deliver pending mail now rather than at the next sweep."""

    async def forget(self, address: str) -> int:
        """Remove the copies of mail sent to ``address`` that the service keeps itself (the
        embedded mail folder); a relay's copies are the relay's. Answers how many."""

    async def wake_exports(self) -> None:
        """Ask a worker to build pending data exports now rather than at the next sweep."""

    async def wake_policy_notices(self) -> None:
        """Ask a worker to announce a material privacy-policy version now in force rather
        than at the next sweep (which also starts those that come into force later)."""

    async def wake_disclosures(self) -> None:
        """Ask a worker to build pending legal disclosures now rather than at the next sweep."""


class PasswordHasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for a missing hash too, after the same work as a real check."""

    def needs_rehash(self, password_hash: str) -> bool: ...


class PaymentGateway(Protocol):
    @property
    def stripe(self) -> stripe.StripeClient:
        """The Stripe client; PAYMENT_PROVIDER_UNAVAILABLE when payments are not configured."""

    def platform_fee(self, amount_cents: int) -> int: ...


class AdvertisingPartners(Protocol):
    async def send(self, partner: AdvertisingPartner, people: list[dict[str, str]]) -> bool:
        """POST ``people`` to the partner as JSON: True once it accepted them, False when it
        failed, refused or did not answer in time (nothing to record; the next sweep retries)."""

    def exclusive(self, partner: AdvertisingPartner) -> AbstractAsyncContextManager[None]:
        """Held while one batch for ``partner`` is chosen, sent and recorded, so that two
        workers (or processes) never send the same person at once."""


class FetchRefused(Exception):
    """Why a fetch was refused or failed, in words that hold no personal data and no URL."""


class PictureFetcher(Protocol):
    async def fetch(self, url: str, *, address_allowed: Callable[[str], bool], limit: int) -> bytes:
        """GET ``url`` and answer its body. FetchRefused when the host is (or resolves to) an
        address ``address_allowed`` refuses, checked on the addresses connected to; for an
        answer other than 200 (no redirect is followed); for a body over ``limit`` bytes,
        counted while reading; and for any network failure or timeout."""


class NotificationBus(Protocol):
    """How a committed notification reaches its recipient's open subscriptions, in whichever
    server process holds them: Redis pub/sub between processes, in process on the embedded
    default. Only ids travel; what a subscriber is sent is read from the database."""

    async def publish(self, user_id: int, notification_ids: Sequence[int]) -> None:
        """Announce notifications whose transaction has committed. Never raises: they are in
        the database whatever happens here, and the subscriptions find them there."""

    def follow(self, user_id: int, session_id: int) -> AsyncGenerator[list[int], None]:
        """The ids of the user's notifications committed from now on, each once, in batches
        as they come, until the session ends (revoked or expired) or the bus closes."""


@dataclass
class Runtime:
    settings: Settings
    passwords: PasswordHasher
    throttle: Throttle
    files: FileStore
    outbox: Outbox
    payments: PaymentGateway
    partners: AdvertisingPartners
    notifications: NotificationBus
    pictures: PictureFetcher
    budgets: QueryBudgets
    redis: Redis | None = None

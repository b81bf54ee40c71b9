"""This process's open subscriptions, and how each learns of its user's new notifications.

An announcement only says "these ids are new for this user": a subscription then reads its
user's notifications from the database and sends each it has not sent yet, so one that is
announced twice, or found both by an announcement and by the check, goes out once. Every
``SUBSCRIPTION_CHECK_INTERVAL`` one check per process, two queries whatever the number of
subscriptions, ends those whose session was revoked or has expired and wakes those whose user
has a notification newer than they have sent (its announcement was lost: Redis was down, or
it was written where nothing announces).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Collection, Iterable, Sequence
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from core import clock, limits
from models.accounts import Session
from models.notifications import Notification

logger = logging.getLogger("mentor_api.notifications")


def live_sessions() -> QuerySet[Session]:
    """Sessions that still speak for their user: not revoked, not expired, account active."""
    return Session.filter(revoked_at__isnull=True, expires_at__gt=clock.now(), user__is_active=True)


def _chunks(ids: Collection[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), limits.MAX_IDS_PER_QUERY):
        yield ordered[start : start + limits.MAX_IDS_PER_QUERY]


async def _live_session_ids(session_ids: Collection[int]) -> set[int]:
    live: set[int] = set()
    for chunk in _chunks(session_ids):
        found: list[Any] = await live_sessions().filter(id__in=chunk).values_list("id", flat=True)
        live.update(int(session_id) for session_id in found)
    return live


async def _newest_ids(user_ids: Collection[int]) -> dict[int, int]:
    """Each user's newest notification id."""
    newest: dict[int, int] = {}
    for chunk in _chunks(user_ids):
        grouped = (
            await Notification.filter(recipient_id__in=chunk)
            .annotate(newest=Max("id"))
            .group_by("recipient_id")
            .values_list("recipient_id", "newest")
        )
        newest.update({int(user_id): int(found) for user_id, found in grouped})
    return newest


class Follower:
    """One open subscription: the notifications of its user committed since it started, which
    of them it has sent, and a wake-up for news."""

    def __init__(self, user_id: int, session_id: int) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.sent_up_to = 0
        self._since = 0
        self._sent: dict[int, None] = {}  # insertion-ordered, the oldest forgotten first
        self._heard: set[int] = set()
        self._wake = asyncio.Event()
        self.started = False
        self.ended = False

    async def start(self) -> None:
        newest = await _newest_ids([self.user_id])
        self._since = self.sent_up_to = newest.get(self.user_id, 0)
        self.started = True

    def hear(self, notification_ids: Iterable[int] = ()) -> None:
        """News: these ids, or none at all (look again: something may have been missed)."""
        self._heard.update(notification_ids)
        self._wake.set()

    def end(self) -> None:
        self.ended = True
        self._wake.set()

    async def news(self) -> list[int]:
        """The next notifications to send, oldest first; [] once the subscription has ended."""
        while not self.ended:
            await self._wake.wait()
            self._wake.clear()
            if self.ended:
                break
            found = await self._unsent()
            if found:
                return found
        return []

    async def _unsent(self) -> list[int]:
        heard = {i for i in self._heard if i not in self._sent}
        self._heard.clear()
        wanted = Q(id__gt=self.sent_up_to)
        if heard:
            wanted |= Q(id__in=sorted(heard))
        ids: list[Any] = (
            await Notification.filter(wanted, recipient_id=self.user_id, id__gt=self._since)
            .order_by("id")
            .values_list("id", flat=True)
        )
        fresh = [int(i) for i in ids]
        for notification_id in fresh:
            self._sent[notification_id] = None
            self.sent_up_to = max(self.sent_up_to, notification_id)
        while len(self._sent) > limits.MAX_SENT_IDS_REMEMBERED:
            del self._sent[next(iter(self._sent))]
        return fresh


class Followers:
    """The open subscriptions of this process by user, and the check that keeps them honest.
    The buses (``services.notifications.bus``) add how announcements travel."""

    def __init__(self, check_every: timedelta = limits.SUBSCRIPTION_CHECK_INTERVAL) -> None:
        self._by_user: dict[int, set[Follower]] = {}
        self._check_every = check_every.total_seconds()
        self._checking: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._checking = asyncio.create_task(self._check_forever())

    async def close(self) -> None:
        if self._checking is not None:
            self._checking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checking
        for follower in self._all():
            follower.end()

    def _all(self) -> list[Follower]:
        return [follower for group in self._by_user.values() for follower in group]

    def following(self, user_id: int) -> int:
        """How many subscriptions of the user this process follows (started ones)."""
        return sum(follower.started for follower in self._by_user.get(user_id, ()))

    def tell(self, user_id: int, notification_ids: Sequence[int] = ()) -> None:
        """Wake the user's subscriptions in this process."""
        for follower in self._by_user.get(user_id, ()):
            follower.hear(notification_ids)

    def tell_everyone(self) -> None:
        """Wake every subscription here to look again: announcements may have been lost."""
        for follower in self._all():
            follower.hear()

    async def follow(self, user_id: int, session_id: int) -> AsyncGenerator[list[int], None]:
        follower = Follower(user_id, session_id)
        self._by_user.setdefault(user_id, set()).add(follower)
        try:
            await follower.start()
            while batch := await follower.news():
                yield batch
        finally:
            group = self._by_user.get(user_id, set())
            group.discard(follower)
            if not group:
                self._by_user.pop(user_id, None)

    async def check(self) -> None:
        """End the subscriptions whose session is over; wake those that are behind."""
        followers = self._all()
        if not followers:
            return
        live = await _live_session_ids({follower.session_id for follower in followers})
        newest = await _newest_ids({follower.user_id for follower in followers})
        for follower in followers:
            if follower.session_id not in live:
                follower.end()
            elif newest.get(follower.user_id, 0) > follower.sent_up_to:
                follower.hear()

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(self._check_every)
            try:
                await self.check()
            except Exception as error:  # a failing check must not end the loop
                logger.error("checking subscriptions failed: %s", type(error).__name__)

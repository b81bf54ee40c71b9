"""Telling every active user of a material version of the privacy policy (P25).

Once a material version is in force, the background worker notifies (POLICY_UPDATED, in the
app and by email, which always comes) every active account that has not accepted it already,
in batches in the order of their ids. Each batch is decided under its announcement's row lock
and written in one transaction with how far it got, so a crash resumes after the last batch
that committed, two workers take turns, and a second run sends nothing. A non-material
version has no announcement: it notifies nobody.
"""

from __future__ import annotations

from typing import Any

from core import clock
from core.runtime import Runtime
from models.accounts import User
from models.notifications import NotificationKind
from models.privacy import PolicyAcceptance, PolicyAnnouncement
from services.notifications.emit import announcing, notify
from services.transactions import transaction


async def announce_due(runtime: Runtime) -> int:
    """Finish every announcement of a version now in force: a wake's work, and the sweep's.
    Answers how many users were notified."""
    due = PolicyAnnouncement.filter(finished_at=None, policy__effective_at__lte=clock.now())
    ids: list[Any] = await due.order_by("id").values_list("id", flat=True)
    notified = 0
    for announcement_id in ids:
        while (count := await _next_batch(runtime, int(announcement_id))) is not None:
            notified += count
    return notified


async def _next_batch(runtime: Runtime, announcement_id: int) -> int | None:
    """Notify the next batch of users and record how far it got; None once all are done."""
    async with announcing(runtime), transaction():
        announcement = (
            await PolicyAnnouncement.filter(id=announcement_id).select_for_update().first()
        )
        if announcement is None or announcement.finished_at is not None:
            return None
        found: list[Any] = (
            await User.filter(is_active=True, id__gt=announcement.notified_through)
            .order_by("id")
            .limit(runtime.settings.policy_notice_batch_size)
            .values_list("id", flat=True)
        )
        batch = [int(user_id) for user_id in found]
        if not batch:
            announcement.finished_at = clock.now()
            await announcement.save(update_fields=["finished_at"])
            return None
        # Those who accepted it (or a later version) already have nothing to review.
        accepted = set(
            await PolicyAcceptance.filter(
                user_id__in=batch, policy_id__gte=announcement.policy_id
            ).values_list("user_id", flat=True)
        )
        owed = [user_id for user_id in batch if user_id not in accepted]
        if owed:
            await notify(NotificationKind.POLICY_UPDATED, owed)
        announcement.notified_through = batch[-1]
        announcement.notified_count += len(owed)
        await announcement.save(update_fields=["notified_through", "notified_count"])
    return len(owed)

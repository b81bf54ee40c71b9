"""Writing a notification the way a mutation does, for tests whose subject is its delivery."""

from __future__ import annotations

from core.runtime import Runtime
from models.accounts import User
from models.marketplace import Job
from models.notifications import Notification, NotificationKind
from services.notifications.emit import announcing, notify
from services.transactions import transaction


async def notify_in_a_request(
    runtime: Runtime, user: User, job: Job, kind: NotificationKind = NotificationKind.JOB_ACCEPTED
) -> Notification:
    """Written in a transaction of its own, announced once it commits."""
    async with announcing(runtime), transaction():
        (written,) = await notify(kind, [user.id], job=job)
    return written

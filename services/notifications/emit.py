"""Writing notifications with the change they report, and announcing them once it commits.

``notify`` runs inside the change's transaction, like ``services.email.enqueue_email``: the
notification, and its mail when the recipient wants it, commit or roll back with the change.
``announcing`` wraps the edge that runs such changes (a GraphQL operation, a Stripe webhook):
when the work inside is over, and so committed, it announces on the bus the notifications that
are in the database, and wakes the mail worker. A notification written anywhere else is found
by the subscriptions' periodic check (``services.notifications.live``).
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient

from core.runtime import Runtime
from models.accounts import User
from models.marketplace import Job, Testimonial
from models.notifications import Notification, NotificationKind, NotificationPreference
from models.payments import Payment
from services.email import enqueue_email
from services.notifications import kinds


@dataclass
class _Written:
    """What an edge's work wrote, to announce once it is over."""

    notification_ids: list[int] = field(default_factory=list)
    mailed: bool = False


_written: contextvars.ContextVar[_Written | None] = contextvars.ContextVar(
    "notifications_written", default=None
)


def _in_transaction() -> bool:
    return isinstance(connections.get("default"), TransactionalDBClient)


async def _wants_mail(kind: NotificationKind, user_ids: Sequence[int]) -> set[int]:
    """Who of ``user_ids`` gets ``kind`` by email: their own choice, else the kind's default."""
    if kinds.email_required(kind):
        return set(user_ids)
    chosen = dict(
        await NotificationPreference.filter(user_id__in=list(user_ids), kind=kind).values_list(
            "user_id", "email"
        )
    )
    default = kinds.emailed_by_default(kind)
    return {user_id for user_id in user_ids if chosen.get(user_id, default)}


def _mail_body(kind: NotificationKind, body: str) -> str:
    rule = kinds.KINDS[kind]
    if rule.email is kinds.EmailRule.ALWAYS:
        why = "The service owes you this message: it always comes by email."
    else:
        why = (
            f"You get this by email because of your choice for “{rule.about}”; change it with "
            "updateNotificationPreferences."
        )
    return f"{body}\n\nSee it in mentor-api, under your notifications.\n\n{why}\n"


async def notify(
    kind: NotificationKind,
    recipient_ids: Sequence[int],
    *,
    job: Job | None = None,
    testimonial: Testimonial | None = None,
    payment: Payment | None = None,
) -> list[Notification]:
    """One notification per recipient, and its mail where they want it; call inside the
    transaction of the change it reports. Mail goes to confirmed addresses of active accounts
    only: an address nobody confirmed may be someone else's."""
    if not _in_transaction():
        raise RuntimeError("notify() belongs inside the transaction of the change it reports")
    recipients = await User.filter(id__in=list(recipient_ids)).order_by("id")
    mailed_to = await _wants_mail(kind, [user.id for user in recipients])
    written = []
    for user in recipients:
        text = kinds.words(kind, kinds.Facts(user.id, job=job, payment=payment))
        row = await Notification.create(
            recipient_id=user.id,
            kind=kind,
            title=text.title,
            body=text.body,
            job_id=job.id if job else None,
            testimonial_id=testimonial.id if testimonial else None,
            payment_id=payment.id if payment else None,
        )
        written.append(row)
        mail = user.id in mailed_to and user.email_verified and user.is_active
        if mail:
            await enqueue_email(user, text.title, _mail_body(kind, text.body))
        _remember(row, mailed=mail)
    return written


def _remember(row: Notification, *, mailed: bool) -> None:
    pending = _written.get()
    if pending is not None:
        pending.notification_ids.append(row.id)
        pending.mailed |= mailed


@asynccontextmanager
async def announcing(runtime: Runtime) -> AsyncIterator[None]:
    """Announce the notifications the work inside writes, once it is over (whatever its
    outcome: only those whose transaction committed are in the database to announce)."""
    pending = _Written()
    token = _written.set(pending)
    try:
        yield
    finally:
        _written.reset(token)
        await _announce(runtime, pending)


async def _announce(runtime: Runtime, pending: _Written) -> None:
    if not pending.notification_ids:
        return
    if _in_transaction():
        raise RuntimeError("announce notifications after their transaction, not inside it")
    committed = await Notification.filter(id__in=pending.notification_ids).values_list(
        "recipient_id", "id"
    )
    by_recipient: dict[int, list[int]] = {}
    for recipient_id, notification_id in committed:
        by_recipient.setdefault(recipient_id, []).append(notification_id)
    for recipient_id, ids in by_recipient.items():
        await runtime.notifications.publish(recipient_id, sorted(ids))
    if pending.mailed:
        await runtime.outbox.wake()

"""A user's own notifications and mail choices: listing, counting, marking read, choosing.

Reads go through the viewer's ``Access``: a notification is its recipient's alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, NotFound
from models.accounts import User
from models.notifications import Notification, NotificationKind, NotificationPreference
from services.access.decisions import Access
from services.notifications import kinds
from services.transactions import transaction


def newest_first(access: Access, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The viewer's notifications, newest first (in the order they were written)."""
    found = access.visible(Notification).filter(recipient_id=access.viewer.user_id)
    if unread_only:
        found = found.filter(read_at__isnull=True)
    return found.order_by("-id")


async def unread_count(access: Access, user_id: int) -> int:
    return await access.visible(Notification).filter(recipient_id=user_id, read_at=None).count()


async def mark_read(
    reader: User, notification_ids: Sequence[int] | None, *, everything: bool
) -> list[Notification]:
    """Mark the named notifications read, or all of the reader's; answers the named ones.

    The named ones must all be the reader's: otherwise nothing changes and the answer is
    NOT_FOUND, the same for someone else's as for one that does not exist.
    """
    if everything == (notification_ids is not None):
        raise BadUserInput("Send either `ids` or `all: true`.", field="ids")
    mine = Access.of(reader).visible(Notification).filter(recipient_id=reader.id)
    if everything:
        await mine.filter(read_at=None).update(read_at=clock.now())
        return []
    ids = sorted(set(notification_ids or ()))
    if len(ids) > limits.MAX_NOTIFICATIONS_MARKED:
        raise BadUserInput(
            f"Mark at most {limits.MAX_NOTIFICATIONS_MARKED} at once, or send `all: true`.",
            field="ids",
        )
    found = await mine.filter(id__in=ids).order_by("-id")
    if len(found) != len(ids):
        raise NotFound("No such notification.", field="ids")
    moment = clock.now()
    await mine.filter(id__in=ids, read_at=None).update(read_at=moment)
    for row in found:
        row.read_at = row.read_at or moment
    return found


@dataclass(frozen=True)
class MailChoice:
    """Whether one kind comes by email for a user, and whether they may change that."""

    kind: NotificationKind
    email: bool
    required: bool
    about: str


async def mail_choices(user_id: int) -> list[MailChoice]:
    """Every kind, with the user's own choice where they made one, else its default."""
    chosen = dict(await NotificationPreference.filter(user_id=user_id).values_list("kind", "email"))
    return [
        MailChoice(
            kind=kind,
            email=kinds.email_required(kind) or chosen.get(kind, kinds.emailed_by_default(kind)),
            required=kinds.email_required(kind),
            about=rule.about,
        )
        for kind, rule in kinds.KINDS.items()
    ]


async def choose_mail(user: User, choices: Mapping[NotificationKind, bool]) -> list[MailChoice]:
    """Record the user's choices; a receipt or a security notice cannot be turned off."""
    for kind, email in choices.items():
        if not email and kinds.email_required(kind):
            raise BadUserInput(
                f"{kind.value} always comes by email: it cannot be turned off.", field="choices"
            )
    async with transaction():
        for kind, email in choices.items():
            await NotificationPreference.update_or_create(
                defaults={"email": email}, user_id=user.id, kind=kind
            )
    return await mail_choices(user.id)

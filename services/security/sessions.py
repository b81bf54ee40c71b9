"""A user's sessions: the live ones, listed for them, and revoked one at a time."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from core import clock
from core.errors import NotFound
from models.accounts import Session, User
from models.audit import AuditAction
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.transactions import transaction


def live(access: Access, user_id: int) -> QuerySet[Session]:
    """The user's sessions that still open the account (not revoked, not expired), newest
    first."""
    rows = access.visible(Session).filter(
        user_id=user_id, revoked_at__isnull=True, expires_at__gt=clock.now()
    )
    return rows.order_by("-created_at", "-id")


async def revoke(user: User, session_id: int, client: ClientInfo) -> Session:
    """End one of the user's live sessions. Another user's, a spent one and one that never
    existed are the same NOT_FOUND, so nobody learns which ids are sessions."""
    now = clock.now()
    async with transaction():
        revoked = await Session.filter(
            id=session_id, user_id=user.id, revoked_at__isnull=True, expires_at__gt=now
        ).update(revoked_at=now)
        if not revoked:
            raise NotFound("No such session.", field="id")
        await audit.record(
            AuditAction.SESSION_REVOKED,
            actor_id=user.id,
            subject_id=user.id,
            detail={"session": session_id},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return await Session.get(id=session_id)

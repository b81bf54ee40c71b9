"""Security events: what detection raised, recorded with its audit row, listed for staff with
SECURITY."""

from __future__ import annotations

from datetime import datetime

from tortoise.queryset import QuerySet

from core import clock
from models.audit import AuditAction
from models.security import SecurityEvent, SecurityEventKind
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.transactions import transaction


def newest_first(access: Access) -> QuerySet[SecurityEvent]:
    return access.visible(SecurityEvent).order_by("-detected_at", "-id")


async def raise_event(
    kind: SecurityEventKind,
    *,
    network: str,
    window_start: datetime,
    account_count: int,
    client: ClientInfo,
) -> SecurityEvent:
    """Record an event seen until now, and the SECURITY_EVENT audit row that points at it."""
    now = clock.now()
    async with transaction():
        event = await SecurityEvent.create(
            kind=kind,
            ip_prefix=network,
            window_start=window_start,
            window_end=now,
            account_count=account_count,
            detected_at=now,
        )
        await audit.record(
            AuditAction.SECURITY_EVENT,
            detail={"securityEvent": event.id, "kind": kind.value, "accounts": account_count},
            ip_prefix=network,
            request_id=client.request_id,
        )
    return event

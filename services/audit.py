"""The audit log (P15): staff access to personal data and security events, written here and
read back by SECURITY staff. Details name fields and reasons, never personal values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from tortoise.queryset import QuerySet

from models.audit import AuditAction, AuditEntry
from services.access.decisions import Access


async def record(
    action: AuditAction,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    detail: dict[str, object] | None = None,
    ip_prefix: str | None = None,
    browser_family: str | None = None,
    request_id: str | None = None,
    partner_app_id: int | None = None,
) -> None:
    await AuditEntry.create(
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        partner_app_id=partner_app_id,
        detail=detail or {},
        ip_prefix=ip_prefix,
        browser_family=browser_family,
        request_id=request_id,
    )


async def record_for_each(action: AuditAction, details: Mapping[int, dict[str, object]]) -> None:
    """One entry per person (subject id: detail), in one statement: what a background job
    did to many people at once."""
    await AuditEntry.bulk_create(
        [
            AuditEntry(action=action, subject_id=subject_id, detail=detail)
            for subject_id, detail in details.items()
        ]
    )


@dataclass(frozen=True)
class LogFilter:
    """Which entries: by action, actor, subject, and a time window (``since`` included,
    ``until`` excluded). A window with an end also pins a page: reading the log writes new
    entries (a staff read of an address in it is itself audited), newer than any end."""

    action: AuditAction | None = None
    actor_id: int | None = None
    subject_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries(access: Access, wanted: LogFilter) -> QuerySet[AuditEntry]:
    """The entries the viewer sees (SECURITY staff: all), newest first."""
    found = access.visible(AuditEntry)
    if wanted.action is not None:
        found = found.filter(action=wanted.action)
    if wanted.actor_id is not None:
        found = found.filter(actor_id=wanted.actor_id)
    if wanted.subject_id is not None:
        found = found.filter(subject_id=wanted.subject_id)
    if wanted.since is not None:
        found = found.filter(created_at__gte=wanted.since)
    if wanted.until is not None:
        found = found.filter(created_at__lt=wanted.until)
    return found.order_by("-created_at", "-id")

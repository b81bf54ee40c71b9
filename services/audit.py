"""Writing the audit log. Details name fields and reasons, never personal values."""

from __future__ import annotations

from models.audit import AuditAction, AuditEntry


async def record(
    action: AuditAction,
    *,
    actor_id: int | None = None,
    subject_id: int | None = None,
    detail: dict[str, object] | None = None,
    ip_prefix: str | None = None,
    browser_family: str | None = None,
    request_id: str | None = None,
) -> None:
    await AuditEntry.create(
        action=action,
        actor_id=actor_id,
        subject_id=subject_id,
        detail=detail or {},
        ip_prefix=ip_prefix,
        browser_family=browser_family,
        request_id=request_id,
    )

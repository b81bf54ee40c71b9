"""Data exports (access and portability): requested, built in the background, downloaded
for a day, then deleted.

The request is a durable row; waking a worker only makes it early, and the sweep builds what
a lost wake or a crash left PENDING or BUILDING. Building is idempotent: a READY export is
never rebuilt, and when two workers build one export the first to finish keeps its archive
and the other deletes its own, so no file is left behind that no row names.
"""

from __future__ import annotations

import math

from tortoise.queryset import QuerySet

from core import clock
from core.errors import RateLimited
from core.runtime import Runtime
from models.accounts import User
from models.audit import AuditAction
from models.exports import UNFINISHED, DataExport, ExportStatus
from models.notifications import NotificationKind
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.notifications.emit import announcing, notify
from services.privacy import archive
from services.privacy.stored_archives import Make, MarkReady, StoredArchives
from services.transactions import transaction


def newest_first(access: Access, user_id: int) -> QuerySet[DataExport]:
    return access.visible(DataExport).filter(user_id=user_id).order_by("-requested_at", "-id")


async def request_export(runtime: Runtime, user: User, client: ClientInfo) -> DataExport:
    """A new export of everything of ``user``'s, or the one already on its way.

    One a day (``data_export_interval``): an export that failed does not count, since the
    user did nothing wrong.
    """
    interval = runtime.settings.data_export_interval
    async with transaction():
        # One request at a time per user, so two at once cannot both start an export.
        await User.select_for_update().filter(id=user.id).first()
        mine = DataExport.filter(user_id=user.id).order_by("-requested_at", "-id")
        unfinished = await mine.filter(status__in=UNFINISHED).first()
        if unfinished is not None:
            return unfinished
        now = clock.now()
        latest = await mine.exclude(status=ExportStatus.FAILED).first()
        if latest is not None and latest.requested_at > now - interval:
            wait = latest.requested_at + interval - now
            raise RateLimited(math.ceil(wait.total_seconds()))
        export = await DataExport.create(user_id=user.id, requested_at=now)
        await audit.record(
            AuditAction.DATA_EXPORT_REQUESTED,
            actor_id=user.id,
            subject_id=user.id,
            detail={"export": export.id},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    await runtime.outbox.wake_exports()
    return export


ARCHIVES = StoredArchives(
    DataExport,
    "data export",
    owed=UNFINISHED,
    building=ExportStatus.BUILDING,
    ready=ExportStatus.READY,
    failed=ExportStatus.FAILED,
    expired=ExportStatus.EXPIRED,
)


def _steps(runtime: Runtime) -> tuple[Make, MarkReady]:
    """What an export's archive holds, and how its row says it is ready."""

    async def make(export: DataExport) -> bytes:
        user = await User.get(id=export.user_id)
        cover = archive.export_cover(user.id, clock.now())
        return await archive.build(user, runtime.files, cover)

    async def mark_ready(export: DataExport, key: str, size: int) -> bool:
        return await _mark_ready(runtime, export, key, size)

    return make, mark_ready


async def build_export(runtime: Runtime, export_id: int) -> bool:
    """Build one export if it is still owed; True when this call made it READY."""
    return await ARCHIVES.build(runtime.files, export_id, *_steps(runtime))


async def _mark_ready(runtime: Runtime, export: DataExport, key: str, size: int) -> bool:
    """READY with its archive, audited and notified, unless another worker got there first."""
    ready_at = clock.now()
    async with announcing(runtime), transaction():
        won = await DataExport.filter(id=export.id, status=ExportStatus.BUILDING).update(
            status=ExportStatus.READY,
            file_key=key,
            size_bytes=size,
            ready_at=ready_at,
            expires_at=ready_at + runtime.settings.data_export_lifetime,
        )
        if won:
            await audit.record(
                AuditAction.DATA_EXPORT_BUILT,
                subject_id=export.user_id,
                detail={"export": export.id, "bytes": size},
            )
            await notify(NotificationKind.DATA_EXPORT_READY, [export.user_id])
    return bool(won)


async def build_pending(runtime: Runtime) -> int:
    """Build every export still owed, oldest first: a wake's work, and the sweep's."""
    return await ARCHIVES.build_owed(runtime.files, *_steps(runtime))


async def expire(runtime: Runtime) -> int:
    """Delete the archives of exports past their day, and mark them EXPIRED."""
    return await ARCHIVES.expire_due(runtime.files)


def downloadable(export: DataExport) -> bool:
    """READY and within its day (the sweep may not have expired it yet)."""
    return ARCHIVES.downloadable(export)


async def download(
    runtime: Runtime, user: User | None, export_id: int, client: ClientInfo
) -> bytes | None:
    """The archive of one of ``user``'s READY exports, audited; None for anything else (no
    user, another user's, unknown, not ready, expired), all alike so nothing can be probed."""
    if user is None:
        return None
    export = await newest_first(Access.of(user), user.id).filter(id=export_id).first()
    if export is None or not downloadable(export):
        return None
    assert export.file_key is not None
    content = await runtime.files.get(export.file_key)
    if content is None:
        return None
    await audit.record(
        AuditAction.DATA_EXPORT_DOWNLOADED,
        actor_id=user.id,
        subject_id=user.id,
        detail={"export": export.id},
        ip_prefix=client.ip_prefix,
        request_id=client.request_id,
    )
    return content

"""The life of an archive kept in the file store for someone to download (a data export, a
legal disclosure): owed, built in the background, ready for a while, then expired.

A row's status says where its archive stands. Building claims the row first (owed ->
building), so a worker builds only what is owed; when two build one row, the first to mark it
ready keeps its file and the other deletes its own, so no file is left that no row names.
Expiring deletes the file before the row says so: a crash between the two leaves a ready row
naming a missing file (served as not found, expired again by the next sweep).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from tortoise.models import Model

from core import clock
from core.runtime import FileStore

logger = logging.getLogger("mentor_api.archives")

# What an archive holds, made from its row; and the row marked ready with the stored file
# (its key and size), False when another worker got there first.
Make = Callable[[Any], Awaitable[bytes]]
MarkReady = Callable[[Any, str, int], Awaitable[bool]]


@dataclass(frozen=True)
class StoredArchives:
    """The rows of ``model``, each naming an archive, and the statuses they pass through."""

    model: type[Model]
    what: str  # in logs, e.g. "data export"
    owed: tuple[Enum, ...]  # asked for, or left half-built by a crash
    building: Enum
    ready: Enum
    failed: Enum
    expired: Enum

    async def build(self, files: FileStore, row_id: int, make: Make, mark_ready: MarkReady) -> bool:
        """Build one archive if it is still owed; True when this call made it ready."""
        claimed = await self.model.filter(id=row_id, status__in=list(self.owed)).update(
            status=self.building
        )
        if not claimed:
            return False  # ready, failed, expired or gone: nothing is owed
        row = await self.model.get(id=row_id)
        try:
            content = await make(row)
            key = await files.put(content, suffix=".zip")
        except Exception as error:
            logger.error("%s %s failed: %s", self.what, row_id, type(error).__name__)
            await self.model.filter(id=row_id, status=self.building).update(status=self.failed)
            return False
        won = False
        try:
            won = await mark_ready(row, key, len(content))
        finally:
            if not won:  # another worker finished first, or the row could not say so
                await files.delete(key)
        return won

    async def build_owed(self, files: FileStore, make: Make, mark_ready: MarkReady) -> int:
        """Build every archive still owed, oldest first: a wake's work, and the sweep's."""
        owed = await self.model.filter(status__in=list(self.owed)).order_by("id")
        built = 0
        for row in owed:
            built += await self.build(files, row.pk, make, mark_ready)
        return built

    async def expire_due(self, files: FileStore) -> int:
        """Delete the archives of ready rows past their lifetime, marking the rows expired."""
        due = await self.model.filter(status=self.ready, expires_at__lte=clock.now())
        for row in due:
            key = getattr(row, "file_key", None)
            if key:
                await files.delete(key)
            await self.model.filter(pk=row.pk, status=self.ready).update(
                status=self.expired, file_key=None
            )
        return len(due)

    def downloadable(self, row: Any) -> bool:
        """Ready, its file named, and within its lifetime (the sweep may not have expired it)."""
        return (
            row.status is self.ready
            and row.file_key is not None
            and row.expires_at is not None
            and clock.now() < row.expires_at
        )

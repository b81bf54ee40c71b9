"""Data exports: a user's request for a copy of their data, and the archive built for it."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ExportStatus(StrEnum):
    """PENDING until a worker starts, BUILDING while it builds (or after it crashed: the sweep
    builds it again), READY to download until it expires, then EXPIRED with its file gone."""

    PENDING = "PENDING"
    BUILDING = "BUILDING"
    READY = "READY"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"


# Exports a worker still owes the user.
UNFINISHED = (ExportStatus.PENDING, ExportStatus.BUILDING)


class DataExport(Model):
    """One request for a copy of a user's data. The archive lives in the file store under
    ``file_key`` while the export is READY, and is deleted when it expires."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(ExportStatus, max_length=16, default=ExportStatus.PENDING)
    # Set from the service's clock, so that tests may move it (one export a day).
    requested_at = fields.DatetimeField()
    ready_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    file_key = fields.CharField(max_length=255, null=True)
    size_bytes = fields.BigIntField(null=True)

    user_id: int

    class Meta:
        table = "data_exports"
        indexes = (("user_id", "requested_at"), ("status", "expires_at"))

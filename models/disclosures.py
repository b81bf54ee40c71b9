"""Legal disclosures (P11): a package of a user's data that the law requires the platform to
hand to an authority, requested by LEGAL staff and downloaded once by the one who asked."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits


class DisclosureStatus(StrEnum):
    """PENDING until a worker starts, BUILDING while it builds (or after it crashed: the sweep
    builds it again), READY to download once, DOWNLOADED with its file deleted, EXPIRED when
    its lifetime passed before anyone downloaded it, FAILED when it could not be built."""

    PENDING = "PENDING"
    BUILDING = "BUILDING"
    READY = "READY"
    DOWNLOADED = "DOWNLOADED"
    EXPIRED = "EXPIRED"
    FAILED = "FAILED"


# Packages a worker still owes the staff member who asked.
UNBUILT = (DisclosureStatus.PENDING, DisclosureStatus.BUILDING)


class LegalDisclosure(Model):
    """One disclosure the law requires: whose data, under which legal reference, to which
    authority, of which categories of the registry, and whether its subject may be told.
    The package lives in the file store under ``file_key`` while it is READY, and is deleted
    when it is downloaded or expires. The row stays, as the platform's record of it."""

    id = fields.BigIntField(primary_key=True)
    # Kept as the record of what was disclosed: an erased account stays as its tombstone.
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    requested_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    legal_reference = fields.CharField(max_length=limits.MAX_LEGAL_REFERENCE_LENGTH)
    authority = fields.CharField(max_length=limits.MAX_AUTHORITY_LENGTH)
    # Names of services.access.policy.Category, sorted.
    categories: fields.Field[list[str]] = fields.JSONField(default=list)
    notify_subject = fields.BooleanField()
    status = fields.CharEnumField(DisclosureStatus, max_length=16, default=DisclosureStatus.PENDING)
    # Set from the service's clock, so that tests may move it (the package's lifetime).
    requested_at = fields.DatetimeField()
    built_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)
    downloaded_at = fields.DatetimeField(null=True)
    file_key = fields.CharField(max_length=255, null=True)
    size_bytes = fields.BigIntField(null=True)

    user_id: int
    requested_by_id: int | None

    class Meta:
        table = "legal_disclosures"
        indexes = (("user_id", "downloaded_at"), ("status", "expires_at"))

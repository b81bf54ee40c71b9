"""Account deletion and legal holds: the request, its grace period, the erasure's progress."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DeletionStatus(StrEnum):
    # Asked for: the confirmation mail is out, nothing has changed yet.
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION"
    # Confirmed: the account is deactivated and its erasure waits out the grace period.
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
    # The personal data is gone. Rows the law keeps wait, pseudonymized, for their purge.
    ERASED = "ERASED"
    # The rows kept for the law are gone too.
    PURGED = "PURGED"


class AccountDeletion(Model):
    """One request to delete an account, from the confirmation mail to the last purge.

    ``steps_done`` names the erasure steps already committed, so an erasure stopped half way
    resumes where it stopped and a second run changes nothing. ``pseudonym`` is the stable
    random name that replaces the person in the rows kept for the law.
    """

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="deletions", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(DeletionStatus, max_length=24)
    requested_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    scheduled_erasure_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    erased_at = fields.DatetimeField(null=True)
    purged_at = fields.DatetimeField(null=True)
    pseudonym = fields.CharField(max_length=32, unique=True)
    steps_done: fields.Field[list[str]] = fields.JSONField(default=list)

    user_id: int

    class Meta:
        table = "account_deletions"


class LegalHold(Model):
    """A hold the law places on a user's data: while it is in force the account cannot be
    deleted, and a scheduled erasure or purge waits. Placed and released by LEGAL staff,
    each with its legal reference."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="legal_holds", on_delete=fields.CASCADE
    )
    reference = fields.CharField(max_length=200)
    reason = fields.TextField()
    placed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    placed_at = fields.DatetimeField()
    released_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    released_at = fields.DatetimeField(null=True)
    release_reference = fields.CharField(max_length=200, null=True)

    user_id: int
    placed_by_id: int | None
    released_by_id: int | None

    class Meta:
        table = "legal_holds"

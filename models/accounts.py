"""Users, their sessions and one-time email tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits


class StaffPermission(StrEnum):
    """Named powers a staff member holds; each guards a class of staff-only reads and actions."""

    VIEW_PII = "VIEW_PII"
    MANAGE_USERS = "MANAGE_USERS"
    MANAGE_PAYMENTS = "MANAGE_PAYMENTS"
    MODERATE_CONTENT = "MODERATE_CONTENT"
    MANAGE_POLICY = "MANAGE_POLICY"
    LEGAL = "LEGAL"
    SECURITY = "SECURITY"
    VIEW_ANALYTICS = "VIEW_ANALYTICS"
    MANAGE_MARKETING = "MANAGE_MARKETING"
    MANAGE_STAFF = "MANAGE_STAFF"
    MANAGE_PARTNERS = "MANAGE_PARTNERS"


class DeactivationReason(StrEnum):
    """Why staff deactivated an account: a fixed list, so the record never holds free text
    about the person."""

    TERMS_VIOLATION = "TERMS_VIOLATION"
    FRAUD = "FRAUD"
    COMPROMISED = "COMPROMISED"
    OWNER_REQUEST = "OWNER_REQUEST"
    OTHER = "OTHER"


# A described column, so that a new reason needs no migration (the column holds any name).
DEACTIVATION_REASON_COLUMN = "Why staff deactivated the account: a DeactivationReason name."


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=limits.MAX_EMAIL_LENGTH, unique=True)
    email_verified = fields.BooleanField(default=False, db_default=False)
    password_hash = fields.CharField(max_length=255, null=True)
    name = fields.CharField(max_length=limits.MAX_NAME_LENGTH, default="", db_default="")
    photo_key = fields.CharField(max_length=255, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    language = fields.CharField(max_length=16, null=True)
    bio = fields.TextField(null=True)
    expertise: fields.Field[list[str]] = fields.JSONField(default=list)
    staff_permissions: fields.Field[list[str]] = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True, db_default=True)
    # Set while staff keep the account deactivated: cancelling a deletion does not lift it.
    deactivated_at = fields.DatetimeField(null=True)
    deactivation_reason: DeactivationReason | None = fields.CharEnumField(  # type: ignore[assignment]
        DeactivationReason, max_length=32, null=True, description=DEACTIVATION_REASON_COLUMN
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"

    def has_staff_permission(self, permission: StaffPermission) -> bool:
        return permission.value in self.staff_permissions

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_permissions)


class Session(Model):
    """A signed-in device. Only a SHA-256 of the bearer token is stored."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    ip_prefix = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=255, null=True)

    user_id: int

    class Meta:
        table = "sessions"


class EmailTokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"
    CONFIRM_DELETION = "CONFIRM_DELETION"
    CANCEL_DELETION = "CANCEL_DELETION"


class EmailToken(Model):
    """A one-time token mailed to the user, stored hashed and spent on first use."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="email_tokens", on_delete=fields.CASCADE
    )
    purpose = fields.CharEnumField(EmailTokenPurpose, max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "email_tokens"

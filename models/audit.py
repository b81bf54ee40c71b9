"""The audit log: staff access to personal data and security events."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.interactions import FAMILY_LENGTH


class AuditAction(StrEnum):
    PII_READ = "PII_READ"
    SIGN_UP = "SIGN_UP"
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGOUT = "LOGOUT"
    SESSIONS_REVOKED = "SESSIONS_REVOKED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"
    PASSWORD_RESET = "PASSWORD_RESET"
    EMAIL_VERIFIED = "EMAIL_VERIFIED"
    BILLING_LOOKUP = "BILLING_LOOKUP"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    DELETION_REQUESTED = "DELETION_REQUESTED"
    DELETION_CONFIRMED = "DELETION_CONFIRMED"
    DELETION_CANCELLED = "DELETION_CANCELLED"
    ACCOUNT_ERASED = "ACCOUNT_ERASED"
    RETAINED_DATA_PURGED = "RETAINED_DATA_PURGED"
    LEGAL_HOLD_PLACED = "LEGAL_HOLD_PLACED"
    LEGAL_HOLD_RELEASED = "LEGAL_HOLD_RELEASED"
    MENTOR_PROFILE_CLOSED = "MENTOR_PROFILE_CLOSED"
    DATA_EXPORT_REQUESTED = "DATA_EXPORT_REQUESTED"
    DATA_EXPORT_BUILT = "DATA_EXPORT_BUILT"
    DATA_EXPORT_DOWNLOADED = "DATA_EXPORT_DOWNLOADED"
    SECURITY_INCIDENT_RECORDED = "SECURITY_INCIDENT_RECORDED"
    INCIDENT_AUTHORITY_NOTIFIED = "INCIDENT_AUTHORITY_NOTIFIED"
    SECURITY_INCIDENT_NOTIFIED = "SECURITY_INCIDENT_NOTIFIED"
    DATA_SHARED_WITH_PARTNER = "DATA_SHARED_WITH_PARTNER"
    CONSENT_CHANGED = "CONSENT_CHANGED"
    USER_DEACTIVATED = "USER_DEACTIVATED"
    USER_REACTIVATED = "USER_REACTIVATED"
    STAFF_PERMISSION_GRANTED = "STAFF_PERMISSION_GRANTED"
    STAFF_PERMISSION_REVOKED = "STAFF_PERMISSION_REVOKED"
    SESSION_REVOKED = "SESSION_REVOKED"
    SECURITY_EVENT = "SECURITY_EVENT"
    POLICY_PUBLISHED = "POLICY_PUBLISHED"
    LEGAL_DISCLOSURE_REQUESTED = "LEGAL_DISCLOSURE_REQUESTED"
    LEGAL_DISCLOSURE_BUILT = "LEGAL_DISCLOSURE_BUILT"
    LEGAL_DISCLOSURE_DOWNLOADED = "LEGAL_DISCLOSURE_DOWNLOADED"
    SOCIAL_ACCOUNT_LINKED = "SOCIAL_ACCOUNT_LINKED"
    SOCIAL_ACCOUNT_UNLINKED = "SOCIAL_ACCOUNT_UNLINKED"
    PASSWORD_SET = "PASSWORD_SET"
    PARTNER_APP_CREATED = "PARTNER_APP_CREATED"
    PARTNER_APP_REVOKED = "PARTNER_APP_REVOKED"
    PARTNER_KEY_ISSUED = "PARTNER_KEY_ISSUED"
    PARTNER_KEY_REVOKED = "PARTNER_KEY_REVOKED"
    PARTNER_GRANT_GIVEN = "PARTNER_GRANT_GIVEN"
    PARTNER_TOKEN_ISSUED = "PARTNER_TOKEN_ISSUED"
    PARTNER_GRANT_REVOKED = "PARTNER_GRANT_REVOKED"
    PARTNER_MUTATION = "PARTNER_MUTATION"


class LoginMethod(StrEnum):
    """How a log-in proved who it was, kept in the detail of its LOGIN or LOGIN_FAILED row.
    Rows without one were made by password; the detail of a third-party log-in also names
    its provider."""

    PASSWORD = "PASSWORD"
    GOOGLE = "GOOGLE"
    GITHUB = "GITHUB"
    X = "X"
    OPENID_CONNECT = "OPENID_CONNECT"


# A described column, so that a new action needs no migration (the column holds any name).
ACTION_COLUMN = "What was done: an AuditAction name."


class AuditEntry(Model):
    """One audited event. ``detail`` names fields and reasons, never their personal values."""

    id = fields.BigIntField(primary_key=True)
    action = fields.CharEnumField(AuditAction, max_length=32, description=ACTION_COLUMN)
    actor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    subject: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # The partner app that acted, or whose keys or grants an entry is about: its audit trail.
    partner_app: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.PartnerApp", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    detail: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    ip_prefix = fields.CharField(max_length=64, null=True)
    # The parsed browser family of a log-in (never the User-Agent itself); null on other rows.
    browser_family = fields.CharField(max_length=FAMILY_LENGTH, null=True)
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    actor_id: int | None
    subject_id: int | None
    partner_app_id: int | None

    class Meta:
        table = "audit_log"
        # A user's own log-ins, newest first: their history, and the devices already seen.
        indexes = (("subject_id", "action", "created_at"),)

"""In-app notifications and each user's choice of which kinds also come by email."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class NotificationKind(StrEnum):
    """What a notification tells its recipient. A new kind is one member here and one rule in
    ``services.notifications.kinds.KINDS`` (its email default and its words)."""

    JOB_REQUESTED = "JOB_REQUESTED"
    JOB_ACCEPTED = "JOB_ACCEPTED"
    JOB_DECLINED = "JOB_DECLINED"
    JOB_PAID = "JOB_PAID"
    JOB_DELIVERED = "JOB_DELIVERED"
    JOB_COMPLETED = "JOB_COMPLETED"
    JOB_CANCELLED = "JOB_CANCELLED"
    TESTIMONIAL_WRITTEN = "TESTIMONIAL_WRITTEN"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    PAYMENT_DISPUTED = "PAYMENT_DISPUTED"
    PAYOUT_READY = "PAYOUT_READY"
    DATA_EXPORT_READY = "DATA_EXPORT_READY"
    SECURITY_INCIDENT = "SECURITY_INCIDENT"
    NEW_DEVICE_LOGIN = "NEW_DEVICE_LOGIN"
    POLICY_UPDATED = "POLICY_UPDATED"
    LEGAL_DISCLOSURE = "LEGAL_DISCLOSURE"


KIND_COLUMN = "What the notification tells: a NotificationKind name."


class Notification(Model):
    """Something that happened which concerns its recipient, written in the transaction of the
    change itself. Its words name nobody and quote nothing: what the job, testimonial or
    payment holds is read through their references, under their own rules."""

    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    # A described column, so that a new kind needs no migration (the column holds any name).
    kind = fields.CharEnumField(NotificationKind, max_length=32, description=KIND_COLUMN)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    job: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Job", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    testimonial: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Testimonial", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    payment: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Payment", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    recipient_id: int
    job_id: int | None
    testimonial_id: int | None
    payment_id: int | None

    class Meta:
        table = "notifications"
        indexes = (("recipient_id", "read_at"),)


class NotificationPreference(Model):
    """A user's own choice of whether one kind also comes by email. Without a row, the kind's
    default holds, so a kind added later starts at its default for everyone."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(NotificationKind, max_length=32, description=KIND_COLUMN)
    email = fields.BooleanField()
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "notification_preferences"
        unique_together = (("user", "kind"),)

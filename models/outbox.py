"""Transactional outbox: mail is written with the change that causes it, sent by a worker."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits


class OutboxStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboxEmail(Model):
    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    to_address = fields.CharField(max_length=limits.MAX_EMAIL_LENGTH)
    subject = fields.CharField(max_length=200)
    body = fields.TextField()
    # Headers beyond From/To/Subject, such as marketing's one-click unsubscribe (RFC 8058).
    headers: fields.Field[dict[str, str] | None] = fields.JSONField(null=True)
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0, db_default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    recipient_id: int | None

    class Meta:
        table = "outbox_email"

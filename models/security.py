"""Security events: abuse seen across accounts, for staff with SECURITY to investigate (P15)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class SecurityEventKind(StrEnum):
    # One network failing to log in to many different accounts in a short time.
    CREDENTIAL_STUFFING = "CREDENTIAL_STUFFING"


# A described column, so that a new kind needs no migration (the column holds any name).
KIND_COLUMN = "What was detected: a SecurityEventKind name."


class SecurityEvent(Model):
    """A pattern of abuse detected across accounts. It names no account and no address that
    was tried: only the network it came from, the window it was seen in and how many
    accounts it touched."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(SecurityEventKind, max_length=32, description=KIND_COLUMN)
    ip_prefix = fields.CharField(max_length=64)
    window_start = fields.DatetimeField()
    window_end = fields.DatetimeField()
    account_count = fields.IntField()
    detected_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "security_events"

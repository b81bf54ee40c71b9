"""Interaction and browser data (P4, P5, P17): raw records kept only with ANALYTICS consent,
and the daily counts they are rolled into once the retention period ends."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits

# Characters of a browser or operating system family ("Chrome Mobile WebView", "Windows").
FAMILY_LENGTH = 64


class InteractionKind(StrEnum):
    PAGE_VIEW = "PAGE_VIEW"
    POST_VIEW = "POST_VIEW"
    TIME_ON_PAGE = "TIME_ON_PAGE"


class Interaction(Model):
    """One page view, post view or time spent on a page, by an account or a visitor who
    granted ANALYTICS. The network is kept truncated and the browser as its family, never the
    raw address or User-Agent. Pruned after the retention period, once counted into the
    daily aggregates."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="interactions", null=True, on_delete=fields.CASCADE
    )
    visitor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Visitor", related_name="interactions", null=True, on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(InteractionKind, max_length=16)
    path = fields.CharField(max_length=limits.MAX_INTERACTION_PATH_LENGTH, null=True)
    post: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Post", related_name="interactions", null=True, on_delete=fields.SET_NULL
    )
    duration_ms = fields.IntField(null=True)
    occurred_at = fields.DatetimeField(db_index=True)
    # The UTC day of occurred_at, stored so that both databases group by it in plain SQL.
    day = fields.DateField()
    ip_prefix = fields.CharField(max_length=64, null=True)
    browser_family = fields.CharField(max_length=FAMILY_LENGTH, null=True)
    os_family = fields.CharField(max_length=FAMILY_LENGTH, null=True)

    user_id: int | None
    visitor_id: int | None
    post_id: int | None

    class Meta:
        table = "interactions"
        indexes = (("user_id", "kind", "occurred_at"), ("visitor_id", "kind", "occurred_at"))


class DailyInteractionCount(Model):
    """How many interactions of one kind one day brought, per path pattern (ids replaced by a
    placeholder), post and browser family. Holds no person: no user, visitor or address. A
    key may be split over more than one row (two sweeps racing), so readers always sum."""

    id = fields.BigIntField(primary_key=True)
    day = fields.DateField(db_index=True)
    kind = fields.CharEnumField(InteractionKind, max_length=16)
    path = fields.CharField(max_length=limits.MAX_INTERACTION_PATH_LENGTH, null=True)
    post: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Post", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    browser_family = fields.CharField(max_length=FAMILY_LENGTH, null=True)
    count = fields.BigIntField()

    post_id: int | None

    class Meta:
        table = "interaction_daily_counts"

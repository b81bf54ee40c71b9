"""Marketing mail and sharing with advertising partners (P16, P18): campaigns, who got each
one, and the record of every share with a partner."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits


class CampaignStatus(StrEnum):
    """DRAFT until staff send it, SENDING while its mail is queued in batches, then SENT."""

    DRAFT = "DRAFT"
    SENDING = "SENDING"
    SENT = "SENT"


class MarketingCampaign(Model):
    """A promotional mail written by marketing staff, sent only to those who opted in."""

    id = fields.BigIntField(primary_key=True)
    subject = fields.CharField(max_length=limits.MAX_CAMPAIGN_SUBJECT_LENGTH)
    body = fields.TextField()
    status = fields.CharEnumField(CampaignStatus, max_length=16, default=CampaignStatus.DRAFT)
    # How many people it was queued for, counted with their rows under the campaign's lock.
    recipient_count = fields.IntField(default=0)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    created_by_id: int | None

    class Meta:
        table = "marketing_campaigns"


class CampaignRecipient(Model):
    """One person a campaign was queued for: at most one per campaign and person, which is
    what keeps a campaign sent twice (or by two workers at once) from mailing anyone twice."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.ForeignKeyRelation[MarketingCampaign] = fields.ForeignKeyField(
        "models.MarketingCampaign", related_name="recipients", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    queued_at = fields.DatetimeField()

    campaign_id: int
    user_id: int

    class Meta:
        table = "marketing_campaign_recipients"
        unique_together = (("campaign_id", "user_id"),)


class PartnerDisclosure(Model):
    """One share of a person's data with an advertising partner, kept as proof: who, to whom
    (named as configured then), for what, which fields, and when. It never holds the values
    sent, only a keyed fingerprint of them, so a person is sent again only when they change."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    partner = fields.CharField(max_length=limits.MAX_PARTNER_NAME_LENGTH)
    purpose = fields.TextField()
    country = fields.CharField(max_length=2)
    fields_sent: fields.Field[list[str]] = fields.JSONField(default=list)
    fingerprint = fields.CharField(max_length=64, null=True)
    disclosed_at = fields.DatetimeField()

    user_id: int

    class Meta:
        table = "partner_disclosures"
        indexes = (("user_id", "partner", "disclosed_at"),)

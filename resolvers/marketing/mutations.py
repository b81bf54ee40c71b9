"""Marketing mutations: thin wrappers over ``services.marketing``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from core import limits
from models.accounts import StaffPermission, User
from resolvers.base import Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.marketing.types import MarketingCampaignType
from services import marketing

MANAGE_MARKETING = staff(StaffPermission.MANAGE_MARKETING)


@strawberry.input(description="A new campaign's mail; it stays a DRAFT until sent.")
class CreateMarketingCampaignInput:
    subject: str = strawberry.field(
        description=f"The subject line, at most {limits.MAX_CAMPAIGN_SUBJECT_LENGTH} characters."
    )
    body: str = strawberry.field(
        description=f"Plain text, at most {limits.MAX_CAMPAIGN_BODY_LENGTH} characters; each "
        "mail adds an unsubscribe link."
    )


@strawberry.type(description="What `createMarketingCampaign` answers: the DRAFT campaign.")
class CreateMarketingCampaignPayload(Payload):
    campaign: MarketingCampaignType | None = strawberry.field(
        default=None, description="The new campaign; null when `errors` says why not."
    )


@strawberry.input(description="The campaign to send.")
class SendMarketingCampaignInput:
    campaign_id: relay.GlobalID = strawberry.field(description="The campaign's global ID.")


@strawberry.type(description="What `sendMarketingCampaign` answers: the campaign, on its way.")
class SendMarketingCampaignPayload(Payload):
    campaign: MarketingCampaignType | None = strawberry.field(
        default=None, description="The campaign, SENDING or SENT; null when `errors` says why not."
    )


@strawberry.type
class MarketingMutations:
    @mutation(
        description="Write a campaign (staff, MANAGE_MARKETING); it is sent by "
        "sendMarketingCampaign.",
        guard=MANAGE_MARKETING,
    )
    async def create_marketing_campaign(
        self, info: Info, actor: User, input: CreateMarketingCampaignInput
    ) -> CreateMarketingCampaignPayload:
        campaign = await marketing.create_campaign(actor, input.subject, input.body)
        return CreateMarketingCampaignPayload(campaign=campaign)  # type: ignore[arg-type]

    @mutation(
        description="Send a campaign to everyone who opted in to MARKETING_EMAIL (staff, "
        "MANAGE_MARKETING), each mail with a one-click unsubscribe. Sending again mails "
        "nobody twice.",
        guard=MANAGE_MARKETING,
    )
    async def send_marketing_campaign(
        self, info: Info, actor: User, input: SendMarketingCampaignInput
    ) -> SendMarketingCampaignPayload:
        campaign_id = row_id(input.campaign_id, "MarketingCampaign", field="campaignId")
        campaign = await marketing.send_campaign(info.context.runtime, actor, campaign_id)
        return SendMarketingCampaignPayload(campaign=campaign)  # type: ignore[arg-type]

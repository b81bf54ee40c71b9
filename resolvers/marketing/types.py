"""GraphQL types of marketing and data sharing. A campaign is nobody's data; a disclosure is
its person's proof of a share, theirs alone."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketing import CampaignStatus, MarketingCampaign, PartnerDisclosure
from resolvers.context import Info
from resolvers.nodes import ModelNode
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field, rows_of
from services import partners, processors

CampaignStatusEnum = strawberry.enum(
    CampaignStatus,
    name="CampaignStatus",
    description="DRAFT until sent; SENDING while its mail is queued; then SENT.",
)
RecipientRoleEnum = strawberry.enum(
    processors.RecipientRole,
    name="DataRecipientRole",
    description="A service provider works on our instructions; an advertising partner "
    "receives data only with your ADVERTISING_PARTNERS consent.",
)


@strawberry.type(
    name="MarketingCampaign",
    description="A promotional mail; marketing staff (MANAGE_MARKETING) see and send them.",
)
class MarketingCampaignType(ModelNode):
    model = MarketingCampaign

    id: relay.NodeID[int]
    subject: str
    body: str = strawberry.field(description="The text; each mail adds an unsubscribe link.")
    status: CampaignStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    sent_at: datetime | None = strawberry.field(description="When the last mail was queued.")
    recipient_count: int = strawberry.field(description="How many people it was queued for.")


@strawberry.type(name="MarketingCampaignConnection", description="A page of campaigns.")
class MarketingCampaignConnection(CountedConnection[MarketingCampaignType]):
    pass


@strawberry.type(
    name="DataDisclosure",
    description="One share of your data with an advertising partner, made with your consent.",
)
class DataDisclosureType(ModelNode):
    model = PartnerDisclosure

    id: relay.NodeID[int]
    partner: str | None = registry_field(PartnerDisclosure, "partner", "Who received it.")
    purpose: str | None = registry_field(PartnerDisclosure, "purpose", "What for.")
    country: str | None = registry_field(
        PartnerDisclosure, "country", "Where the partner is (ISO 3166 code)."
    )
    disclosed_at: datetime = strawberry.field(description="When it was sent.")

    @registry_field(
        PartnerDisclosure, "fields_sent", "Which data was sent (email_sha256, name, language)."
    )
    def fields(self, root: PartnerDisclosure) -> list[str] | None:
        return list(root.fields_sent)


@strawberry.type(name="DataDisclosureConnection", description="A page of disclosures.")
class DataDisclosureConnection(CountedConnection[DataDisclosureType]):
    pass


@strawberry.type(description="A provider that processes personal data for us, and why.")
class DataProcessor:
    name: str
    role: RecipientRoleEnum  # type: ignore[valid-type]
    purpose: str
    data: list[str] = strawberry.field(description="What it receives.")
    country: str | None = strawberry.field(
        description="Where it processes the data (ISO 3166 code); null when not configured."
    )

    @classmethod
    def of(cls, found: processors.Processor) -> DataProcessor:
        return cls(
            name=found.name,
            role=found.role,
            purpose=found.purpose,
            data=list(found.data),
            country=found.country,
        )


@strawberry.type
class UserMarketingFields:
    """Marketing fields of the User type: the user's own record of shares."""

    @strawberry.field(
        description="Every share of your data with an advertising partner, newest first; "
        "the user's own only.",
        extensions=[rows_of(PartnerDisclosure)],
    )
    async def data_disclosures(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> DataDisclosureConnection | None:
        return await DataDisclosureConnection.resolve_connection(
            partners.disclosures_of(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
        )

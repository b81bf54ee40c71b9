"""GraphQL types of marketing and data sharing. A campaign is nobody's data; a disclosure is
its person's proof of a share, theirs alone: with an advertising partner, or with an
authority as the law required (a legal disclosure they may be told of)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry import relay

from models.accounts import User
from models.disclosures import LegalDisclosure
from models.marketing import CampaignStatus, MarketingCampaign, PartnerDisclosure
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import AlsoShown, ModelNode
from resolvers.pagination import CountedConnection, rows_to_fetch
from resolvers.permissions import DataCategoryEnum, registry_field, rows_of
from services import partners, processors
from services.access.policy import Category
from services.access.registry import TOLD_SUBJECT
from services.privacy import legal_disclosures

CampaignStatusEnum = described_enum(
    CampaignStatus,
    name="CampaignStatus",
    description="DRAFT until sent; SENDING while its mail is queued; then SENT.",
    values={
        CampaignStatus.DRAFT: "Written, not sent; nobody has received it.",
        CampaignStatus.SENDING: "Its mail is going out in batches.",
        CampaignStatus.SENT: "Mailed to everyone who had opted in; sending again mails nobody.",
    },
)
RecipientRoleEnum = described_enum(
    processors.RecipientRole,
    name="DataRecipientRole",
    description="A service provider works on our instructions; an advertising partner "
    "receives data only with your ADVERTISING_PARTNERS consent.",
    values={
        processors.RecipientRole.SERVICE_PROVIDER: "Processes data for us, on our "
        "instructions only (payments, mail delivery).",
        processors.RecipientRole.ADVERTISING_PARTNER: "Uses what it receives for advertising; "
        "receives it only with the person's ADVERTISING_PARTNERS consent.",
    },
)


@strawberry.type(
    name="MarketingCampaign",
    description="A promotional mail; marketing staff (MANAGE_MARKETING) see and send them.",
)
class MarketingCampaignType(ModelNode):
    model = MarketingCampaign

    id: relay.NodeID[int]
    subject: str = strawberry.field(description="The mail's subject line.")
    body: str = strawberry.field(description="The text; each mail adds an unsubscribe link.")
    status: CampaignStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Whether it is sent."
    )
    created_at: datetime = strawberry.field(description="When it was written.")
    sent_at: datetime | None = strawberry.field(description="When the last mail was queued.")
    recipient_count: int = strawberry.field(description="How many people it was queued for.")


@strawberry.type(name="MarketingCampaignConnection", description="A page of campaigns.")
class MarketingCampaignConnection(CountedConnection[MarketingCampaignType]):
    pass


class DisclosureKind(StrEnum):
    PARTNER_SHARE = "PARTNER_SHARE"
    LEGAL_DISCLOSURE = "LEGAL_DISCLOSURE"


DisclosureKindEnum = described_enum(
    DisclosureKind,
    name="DataDisclosureKind",
    description="To whom data of yours went, and why.",
    values={
        DisclosureKind.PARTNER_SHARE: "To an advertising partner, with your consent.",
        DisclosureKind.LEGAL_DISCLOSURE: "To an authority, because the law required it.",
    },
)


@strawberry.type(
    name="DataDisclosure",
    description="One time data of yours left the service: a share with an advertising "
    "partner, made with your consent, or a disclosure to an authority the law required.",
)
class DataDisclosureType(ModelNode):
    model = PartnerDisclosure
    # Legal disclosures show here once made, unless the law forbade telling the person.
    also_shows = (AlsoShown(LegalDisclosure, TOLD_SUBJECT, prefix="legal-"),)

    id: relay.NodeID[int]
    partner: str | None = registry_field(
        PartnerDisclosure, "partner", "Who received it (partner shares)."
    )
    purpose: str | None = registry_field(PartnerDisclosure, "purpose", "What for (partner shares).")
    country: str | None = registry_field(
        PartnerDisclosure, "country", "Where the partner is (ISO 3166 code; partner shares)."
    )
    authority: str | None = registry_field(
        LegalDisclosure, "authority", "The authority it went to (legal disclosures)."
    )

    @strawberry.field(description="A share with a partner, or a legal disclosure.")
    def kind(self, root: PartnerDisclosure | LegalDisclosure) -> DisclosureKindEnum:  # type: ignore[valid-type]
        if isinstance(root, LegalDisclosure):
            return DisclosureKind.LEGAL_DISCLOSURE
        return DisclosureKind.PARTNER_SHARE

    @strawberry.field(description="When it was sent.")
    def disclosed_at(self, root: PartnerDisclosure | LegalDisclosure) -> datetime:
        if isinstance(root, LegalDisclosure):
            assert root.downloaded_at is not None  # shown only once made
            return root.downloaded_at
        return root.disclosed_at

    @registry_field(
        PartnerDisclosure,
        "fields_sent",
        "Which data was sent (email_sha256, name, language; partner shares).",
    )
    def fields(self, root: PartnerDisclosure) -> list[str] | None:
        return list(root.fields_sent)

    @registry_field(
        LegalDisclosure, "categories", "Which categories of data went (legal disclosures)."
    )
    def categories(self, root: LegalDisclosure) -> list[DataCategoryEnum] | None:  # type: ignore[valid-type]
        return [Category(name) for name in root.categories]


@strawberry.type(name="DataDisclosureConnection", description="A page of disclosures.")
class DataDisclosureConnection(CountedConnection[DataDisclosureType]):
    pass


def _newest_first(row: PartnerDisclosure | LegalDisclosure) -> tuple[datetime, bool, int]:
    if isinstance(row, LegalDisclosure):
        assert row.downloaded_at is not None
        return row.downloaded_at, True, row.id
    return row.disclosed_at, False, row.id


async def disclosures_page(
    info: Info, user_id: int, first: int | None, after: str | None
) -> DataDisclosureConnection:
    """Both kinds in one list, newest first: the leading rows of each, merged."""
    access = info.context.access
    shares = partners.disclosures_of(access, user_id)
    legal = legal_disclosures.told_to(access, user_id)
    wanted = rows_to_fetch(first, after)
    rows: list[PartnerDisclosure | LegalDisclosure] = [
        *await shares.limit(wanted),
        *await legal.limit(wanted),
    ]
    rows.sort(key=_newest_first, reverse=True)

    async def count() -> int:
        return await shares.count() + await legal.count()

    page: DataDisclosureConnection = DataDisclosureConnection.of_rows(
        rows[:wanted], first=first, after=after, counter=count
    )
    return page


@strawberry.type(description="A provider that processes personal data for us, and why.")
class DataProcessor:
    name: str = strawberry.field(description="Who receives the data, e.g. Stripe.")
    role: RecipientRoleEnum = strawberry.field(  # type: ignore[valid-type]
        description="Whether it works for us or for its own advertising."
    )
    purpose: str = strawberry.field(description="What it does with the data, in a sentence.")
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
        description="Every share of your data with an advertising partner, and every "
        "disclosure to an authority the law required and allows you to know of, newest "
        "first; the user's own only.",
        extensions=[rows_of(PartnerDisclosure)],
    )
    async def data_disclosures(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> DataDisclosureConnection | None:
        return await disclosures_page(info, root.id, first, after)

from __future__ import annotations

import strawberry

from models.accounts import StaffPermission, User
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.marketing.types import DataProcessor, MarketingCampaignConnection
from resolvers.pagination import After, Before, First, Last
from services import marketing, processors


@strawberry.type
class MarketingQueries:
    @query(
        description="Marketing campaigns, newest first (staff, MANAGE_MARKETING).",
        guard=staff(StaffPermission.MANAGE_MARKETING),
    )
    async def marketing_campaigns(
        self,
        info: Info,
        actor: User,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MarketingCampaignConnection:
        return await MarketingCampaignConnection.resolve_connection(
            marketing.campaigns(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="The providers that process personal data for this service and why, and "
        "the advertising partners that receive some with consent: as configured here."
    )
    def data_processors(self, info: Info) -> list[DataProcessor]:
        found = processors.processors(info.context.runtime.settings)
        return [DataProcessor.of(processor) for processor in found]

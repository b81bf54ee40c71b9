from __future__ import annotations

from typing import Annotated

import strawberry

from models.accounts import StaffPermission, User
from resolvers.analytics.types import Analytics, AnalyticsRange
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.mentors.types import MentorConnection
from resolvers.pagination import rows_to_fetch
from services import interactions
from services.analytics import DateRange


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description=(
            "Mentors picked from the posts you viewed: their authors, and mentors whose "
            "expertise matches those posts' tags; best first. Needs ANALYTICS consent "
            "(RECOMMENDATIONS): CONSENT_REQUIRED without it. `first` ≤ 100."
        )
    )
    async def recommended_mentors(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> MentorConnection | None:
        context = info.context
        subject = await context.consent_subject(start=False)
        ranked = await interactions.recommended_mentors(
            context.access, subject, gpc=context.client.gpc
        )
        rows = await interactions.mentors_by_user(
            context.access, ranked[: rows_to_fetch(first, after)]
        )

        async def total() -> int:
            return len(ranked)

        page: MentorConnection = MentorConnection.of_rows(
            rows, first=first, after=after, counter=total
        )
        await page.load_ahead(info)
        return page

    @query(
        description="How the platform is used in a range of days, as counts that name nobody.",
        guard=staff(StaffPermission.VIEW_ANALYTICS),
    )
    async def analytics(
        self,
        info: Info,
        actor: User,
        range: Annotated[AnalyticsRange, strawberry.argument(description="The days to count.")],
    ) -> Analytics:
        return Analytics(span=DateRange.checked(range.from_, range.to))

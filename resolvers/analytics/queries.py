from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import strawberry

from models.accounts import StaffPermission, User
from resolvers.analytics.types import Analytics, AnalyticsRange
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.mentors.types import MentorConnection
from resolvers.pagination import After, Before, Cursors, First, Last
from resolvers.query_cost import costs
from services import interactions
from services.analytics import DateRange
from services.keyset import page_of_sorted


@strawberry.type
class AnalyticsQueries:
    # Ranked in Python over every mentor the viewer's post views point to, on each request.
    @strawberry.field(
        metadata=costs(20),
        description=(
            "Mentors picked from the posts you viewed: their authors, and mentors whose "
            "expertise matches those posts' tags; best first. Needs ANALYTICS consent "
            "(RECOMMENDATIONS): CONSENT_REQUIRED without it. `first` ≤ 100."
        ),
    )
    async def recommended_mentors(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MentorConnection | None:
        context = info.context
        subject = await context.consent_subject(start=False)
        ranked = await interactions.recommended_mentors(
            context.access, subject, gpc=context.client.gpc
        )
        scores = {mentor.user_id: mentor.score for mentor in ranked}
        order = interactions.RECOMMENDATION_ORDER
        cursors = Cursors.of(
            info, order, position_of=lambda row: (scores[row.user_id], row.user_id)
        )
        window = cursors.window(first=first, after=after, last=last, before=before)
        picked = page_of_sorted(
            ranked, lambda mentor: (mentor.score, mentor.user_id), order, window
        )
        rows = await interactions.mentors_by_user(
            context.access, [mentor.user_id for mentor in picked.rows]
        )

        async def total() -> int:
            return len(ranked)

        page: MentorConnection = MentorConnection.of_page(
            replace(picked, rows=rows), cursors, total
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

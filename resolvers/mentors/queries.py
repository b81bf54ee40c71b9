from __future__ import annotations

import strawberry
from strawberry import relay

from models.marketplace import MentorProfile
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from resolvers.mentors.types import MentorConnection, MentorType
from resolvers.nodes import visible_row
from resolvers.pagination import After, Before, First, Last
from services import mentors

MentorOrderEnum = strawberry.enum(
    mentors.MentorOrder, name="MentorOrder", description="How to sort mentors."
)


@strawberry.input(description="Every given criterion must match.")
class MentorFilter:
    expertise: str | None = strawberry.field(default=None, description="An expertise tag.")
    language: str | None = strawberry.field(default=None, description="A language tag, e.g. en.")
    min_hourly_rate: int | None = strawberry.field(
        default=None, description="Lowest hourly rate, in minor units of the mentor's currency."
    )
    max_hourly_rate: int | None = strawberry.field(
        default=None, description="Highest hourly rate, in minor units of the mentor's currency."
    )
    search: str | None = strawberry.field(
        default=None, description="Text found in the name, headline or bio."
    )


@strawberry.type
class MentorQueries:
    @strawberry.field(description="Find mentors. `first` is at most 100.")
    async def mentors(
        self,
        info: Info,
        filter: MentorFilter | None = None,
        order_by: MentorOrderEnum = mentors.MentorOrder.NEWEST,  # type: ignore[valid-type]
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MentorConnection:
        given = filter or MentorFilter()
        criteria = mentors.MentorFilter(
            expertise=given.expertise,
            language=given.language,
            min_hourly_rate_cents=given.min_hourly_rate,
            max_hourly_rate_cents=given.max_hourly_rate,
            search=given.search,
        )
        page: MentorConnection = await MentorConnection.resolve_connection(
            mentors.find_mentors(info.context.access, criteria, order_by),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        await page.load_ahead(info)
        return page

    @strawberry.field(description="A mentor by global ID; null when there is none.")
    async def mentor(self, info: Info, id: relay.GlobalID) -> MentorType | None:
        found = await visible_row(info, MentorProfile, row_id_or_none(id, "Mentor"))
        return found  # type: ignore[return-value]

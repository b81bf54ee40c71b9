from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from models.marketplace import MentorProfile
from models.partner_apps import PartnerScope
from resolvers.base import described_enum, partner_scope
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from resolvers.mentors.types import MentorConnection, MentorType
from resolvers.money import MoneyInput
from resolvers.nodes import visible_row
from resolvers.pagination import After, Before, First, Last
from resolvers.query_cost import costs
from services import mentors

MentorOrderEnum = described_enum(
    mentors.MentorOrder,
    name="MentorOrder",
    description="How to sort mentors.",
    values={
        mentors.MentorOrder.NEWEST: "Newest mentors first.",
        mentors.MentorOrder.HOURLY_RATE_ASC: "Lowest hourly rate first. Rates compare as "
        "numbers: filter on one currency to compare like with like.",
        mentors.MentorOrder.HOURLY_RATE_DESC: "Highest hourly rate first, compared as numbers.",
    },
)


@strawberry.input(description="Every given criterion must match.")
class MentorFilter:
    expertise: str | None = strawberry.field(default=None, description="An expertise tag.")
    language: str | None = strawberry.field(default=None, description="A language tag, e.g. en.")
    min_hourly_rate: MoneyInput | None = strawberry.field(
        default=None,
        description="Lowest hourly rate; only mentors charging in its currency match.",
    )
    max_hourly_rate: MoneyInput | None = strawberry.field(
        default=None,
        description="Highest hourly rate; only mentors charging in its currency match. With "
        "`minHourlyRate`, both in one currency, else BAD_USER_INPUT.",
    )
    search: str | None = strawberry.field(
        default=None, description="Text found in the name, headline or bio."
    )


# Named here: inside the class body, `mentors` is also the field being defined.
NEWEST_FIRST = mentors.MentorOrder.NEWEST
# A text search scans every mentor's name, headline and bio.
SEARCH_COSTS_MORE = costs(1, when_given={"filter.search": 20})


@strawberry.type
class MentorQueries:
    @strawberry.field(
        description="Find mentors. `first` is at most 100.",
        metadata=SEARCH_COSTS_MORE,
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def mentors(
        self,
        info: Info,
        filter: Annotated[
            MentorFilter | None, strawberry.argument(description="Which mentors; null for all.")
        ] = None,
        order_by: Annotated[
            MentorOrderEnum,  # type: ignore[valid-type]
            strawberry.argument(description="The order of the pages."),
        ] = NEWEST_FIRST,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> MentorConnection:
        given = filter or MentorFilter()
        criteria = mentors.MentorFilter(
            expertise=given.expertise,
            language=given.language,
            min_hourly_rate=given.min_hourly_rate.amount() if given.min_hourly_rate else None,
            max_hourly_rate=given.max_hourly_rate.amount() if given.max_hourly_rate else None,
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

    @strawberry.field(
        description="A mentor by global ID; null when there is none.",
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def mentor(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The mentor's global ID.")],
    ) -> MentorType | None:
        found = await visible_row(info, MentorProfile, row_id_or_none(id, "Mentor"))
        return found  # type: ignore[return-value]

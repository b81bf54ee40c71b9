from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from core.errors import NotFound
from models.marketplace import MentorProfile
from models.partner_apps import PartnerScope
from resolvers.base import partner_scope
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.nodes import visible_row
from resolvers.pagination import After, Before, First, Last
from resolvers.testimonials.types import SuccessStoryConnection, TestimonialConnection
from services import testimonials


@strawberry.type
class TestimonialQueries:
    @strawberry.field(
        description=(
            "A mentor's testimonials shown on the profile: PROFILE permission granted and not "
            "hidden; newest first."
        ),
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def testimonials(
        self,
        info: Info,
        mentor_id: Annotated[
            relay.GlobalID, strawberry.argument(description="The mentor's global ID.")
        ],
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TestimonialConnection:
        profile = await visible_row(
            info, MentorProfile, row_id(mentor_id, "Mentor", field="mentorId")
        )
        if profile is None:
            raise NotFound("No such mentor.", field="mentorId")
        return await TestimonialConnection.resolve_connection(
            testimonials.displayed_for(info.context.access, profile.user_id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="Success stories staff feature, with the authors' MARKETING permission.",
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def featured_testimonials(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SuccessStoryConnection:
        page: SuccessStoryConnection = await SuccessStoryConnection.resolve_connection(
            testimonials.featured(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        await page.load_ahead(info)
        return page

"""The public face of a mentor. Every relation goes through a per-request DataLoader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime

import strawberry
from strawberry import relay

from core.errors import BadUserInput
from models.accounts import User
from models.marketplace import MentorProfile
from resolvers.accounts.types import UserType
from resolvers.context import Info
from resolvers.loaders import now_or_later, then
from resolvers.lookahead import int_argument, selected_below, str_argument
from resolvers.money import Money
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import After, Before, CountedConnection, Cursors, First, Last, nested_page
from resolvers.permissions import registry_field
from resolvers.posts.types import PostConnection
from resolvers.testimonials.types import TestimonialConnection
from services.access.policy import Audience


def user_of(root: MentorProfile, info: Info) -> User | Awaitable[User | None] | None:
    """The mentor's user: fetched with the profile, whose row rule reads it."""
    related = root.user
    if isinstance(related, User):
        return related
    return now_or_later(info.context.loaders.rows(User), root.user_id)


@strawberry.type(
    name="Mentor",
    description="A mentor's public profile. Contact and financial fields never appear here.",
)
class MentorType(ModelNode):
    model = MentorProfile

    id: relay.NodeID[int]
    headline: str | None = registry_field(
        MentorProfile, "headline", "One line on what the mentor offers."
    )
    bio: str | None = registry_field(
        MentorProfile, "bio", "Free text about the mentor's experience."
    )
    expertise: list[str] | None = registry_field(
        MentorProfile, "expertise", "Expertise tags, lower case."
    )
    languages: list[str] | None = registry_field(
        MentorProfile, "languages", "Languages spoken, as tags (en, pt-br)."
    )
    timezone: str | None = registry_field(
        MentorProfile, "timezone", "IANA time zone, e.g. Europe/Paris."
    )
    created_at: datetime = strawberry.field(description="When the user became a mentor.")

    @strawberry.field(description="The mentor's name (public for mentors).")
    def name(self, root: MentorProfile, info: Info) -> str | None:
        access = info.context.access
        # A Mentor passed its row rule: an active mentor's profile, exactly what opens
        # PUBLIC_PROFILE for its user.
        access.establish(Audience.PUBLIC_PROFILE, root.user_id)

        def readable_name(user: User | None) -> object:
            return None if user is None else access.read(user, "name")

        return then(user_of(root, info), readable_name)

    @strawberry.field(description="The mentor's user account (its fields follow the registry).")
    async def user(self, root: MentorProfile, info: Info) -> UserType | None:
        return await visible_row(info, User, root.user_id)  # type: ignore[return-value]

    @strawberry.field(description="Price of an hour, if the mentor set one.")
    def hourly_rate(self, root: MentorProfile) -> Money | None:
        return Money.of(root.hourly_rate_cents, root.currency)

    @strawberry.field(
        description=(
            "Average rating of the testimonials shown on the profile (PROFILE permission "
            "granted, not hidden); null without any."
        )
    )
    def rating(self, root: MentorProfile, info: Info) -> float | None:
        return now_or_later(info.context.loaders.mentor_rating, root.user_id)  # type: ignore[return-value]

    @strawberry.field(description="Testimonials shown on the profile, newest first.")
    def testimonials(
        self,
        root: MentorProfile,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> TestimonialConnection:
        loaders = info.context.loaders
        return nested_page(
            TestimonialConnection,
            info,
            loaders.latest_testimonials,
            root.user_id,
            lambda: loaders.displayed_testimonial_count.load(root.user_id),
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="The mentor's published posts, newest first.")
    def posts(
        self,
        root: MentorProfile,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostConnection:
        loaders = info.context.loaders
        return nested_page(
            PostConnection,
            info,
            loaders.latest_posts,
            root.user_id,
            lambda: loaders.published_post_count.load(root.user_id),
            first=first,
            after=after,
            last=last,
            before=before,
        )


@strawberry.type(name="MentorConnection", description="A page of mentors.")
class MentorConnection(CountedConnection[MentorType]):
    async def load_ahead(self, info: Info) -> None:
        """Load what the operation asks of every mentor on this page in one round, so each
        mentor's rating, testimonials and posts resolve at once instead of each awaiting."""
        user_ids = [edge.node.user_id for edge in self.edges]  # type: ignore[attr-defined]
        loaders = info.context.loaders
        pending: list[Awaitable[object]] = []
        for field in selected_below(info, "edges", "node"):
            if field.name == "rating":
                pending.append(loaders.mentor_rating.load_many(user_ids))
            elif field.name in ("testimonials", "posts"):
                pages = (
                    loaders.latest_testimonials
                    if field.name == "testimonials"
                    else loaders.latest_posts
                )
                try:
                    window = Cursors.of(info, pages.ordering).window(
                        first=int_argument(field, "first"),
                        after=str_argument(field, "after"),
                        last=int_argument(field, "last"),
                        before=str_argument(field, "before"),
                    )
                except BadUserInput:
                    continue  # the field itself reports it
                pending.append(pages.loader.load_many([(user_id, window) for user_id in user_ids]))
        await asyncio.gather(*pending)

"""The public face of a mentor. Every relation goes through a per-request DataLoader."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from app.context import Info
from models.accounts import User
from models.marketplace import MentorProfile
from resolvers.accounts.types import UserType
from resolvers.ids import int_ids
from resolvers.money import Money
from resolvers.pagination import CountedConnection, rows_to_fetch
from resolvers.permissions import registry_visibility
from resolvers.posts.types import PostConnection
from resolvers.testimonials.types import TestimonialConnection


def _public(field: str, description: str) -> Any:
    return strawberry.field(
        description=description, extensions=registry_visibility(MentorProfile, field)
    )


async def user_of(root: MentorProfile, info: Info) -> User | None:
    """The mentor's user: already joined on lists, else through the batched loader."""
    related = root.user
    if isinstance(related, User):
        return related
    return await info.context.loaders.user.load(root.user_id)


@strawberry.type(
    name="Mentor",
    description="A mentor's public profile. Contact and financial fields never appear here.",
)
class MentorType(relay.Node):
    id: relay.NodeID[int]
    headline: str | None = _public("headline", "One line on what the mentor offers.")
    bio: str | None = _public("bio", "Free text about the mentor's experience.")
    expertise: list[str] | None = _public("expertise", "Expertise tags, lower case.")
    languages: list[str] | None = _public("languages", "Languages spoken, as tags (en, pt-br).")
    timezone: str | None = _public("timezone", "IANA time zone, e.g. Europe/Paris.")
    created_at: datetime = strawberry.field(description="When the user became a mentor.")

    @strawberry.field(description="The mentor's name (public for mentors).")
    async def name(self, root: MentorProfile, info: Info) -> str | None:
        user = await user_of(root, info)
        if user is None or not await info.context.field_access.may_read(user, "name"):
            return None
        return user.name

    @strawberry.field(description="The mentor's user account (its fields follow the registry).")
    async def user(self, root: MentorProfile, info: Info) -> UserType | None:
        nodes = await UserType.resolve_nodes(info=info, node_ids=[str(root.user_id)])
        return nodes[0]  # type: ignore[return-value]

    @strawberry.field(description="Price of an hour, if the mentor set one.")
    def hourly_rate(self, root: MentorProfile) -> Money | None:
        return Money.of(root.hourly_rate_cents, root.currency)

    @strawberry.field(
        description=(
            "Average rating of the testimonials shown on the profile (PROFILE permission "
            "granted, not hidden); null without any."
        )
    )
    async def rating(self, root: MentorProfile, info: Info) -> float | None:
        return await info.context.loaders.mentor_rating.load(root.user_id)

    @strawberry.field(description="Testimonials shown on the profile, newest first.")
    async def testimonials(
        self,
        root: MentorProfile,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> TestimonialConnection:
        loaders = info.context.loaders
        rows = await loaders.latest_testimonials.load((root.user_id, rows_to_fetch(first, after)))
        return TestimonialConnection.of_rows(
            rows,
            first=first,
            after=after,
            counter=lambda: loaders.displayed_testimonial_count.load(root.user_id),
        )

    @strawberry.field(description="The mentor's published posts, newest first.")
    async def posts(
        self,
        root: MentorProfile,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> PostConnection:
        loaders = info.context.loaders
        rows = await loaders.latest_posts.load((root.user_id, rows_to_fetch(first, after)))
        return PostConnection.of_rows(
            rows,
            first=first,
            after=after,
            counter=lambda: loaders.published_post_count.load(root.user_id),
        )

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, MentorProfile)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[MentorProfile | None]:
        return await info.context.loaders.mentor.load_many(int_ids(node_ids))


@strawberry.type(name="MentorConnection", description="A page of mentors.")
class MentorConnection(CountedConnection[MentorType]):
    pass

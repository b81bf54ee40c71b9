"""The public face of a mentor. Every relation goes through a per-request DataLoader."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from app.context import Info
from core.errors import BadUserInput
from models.accounts import User
from models.marketplace import MentorProfile
from resolvers.accounts.types import UserType
from resolvers.ids import int_ids
from resolvers.loaders import now_or_later, then
from resolvers.lookahead import int_argument, selected_below, str_argument
from resolvers.money import Money
from resolvers.pagination import CountedConnection, rows_to_fetch
from resolvers.permissions import registry_visibility
from resolvers.posts.types import PostConnection
from resolvers.testimonials.types import TestimonialConnection
from services.personal_data import Audience


def _public(field: str, description: str) -> Any:
    return strawberry.field(
        description=description, extensions=registry_visibility(MentorProfile, field)
    )


def user_of(root: MentorProfile, info: Info) -> User | Awaitable[User | None] | None:
    """The mentor's user: already joined on lists, else through the batched loader."""
    related = root.user
    if isinstance(related, User):
        return related
    return now_or_later(info.context.loaders.user, root.user_id)


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
    def name(self, root: MentorProfile, info: Info) -> str | None:
        access = info.context.field_access
        # A Mentor is an active mentor's profile: exactly what opens PUBLIC_PROFILE.
        access.establish(Audience.PUBLIC_PROFILE, root.user_id)

        def readable_name(user: User | None) -> str | None:
            # decide_now is None only when a lookup would be needed: fail closed.
            return user.name if user is not None and access.decide_now(user, "name") else None

        return then(user_of(root, info), readable_name)

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
    def rating(self, root: MentorProfile, info: Info) -> float | None:
        return now_or_later(info.context.loaders.mentor_rating, root.user_id)  # type: ignore[return-value]

    @strawberry.field(description="Testimonials shown on the profile, newest first.")
    def testimonials(
        self,
        root: MentorProfile,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> TestimonialConnection:
        loaders = info.context.loaders
        rows = now_or_later(
            loaders.latest_testimonials, (root.user_id, rows_to_fetch(first, after))
        )
        return then(
            rows,
            lambda found: TestimonialConnection.of_rows(
                found,
                first=first,
                after=after,
                counter=lambda: loaders.displayed_testimonial_count.load(root.user_id),
            ),
        )

    @strawberry.field(description="The mentor's published posts, newest first.")
    def posts(
        self,
        root: MentorProfile,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> PostConnection:
        loaders = info.context.loaders
        rows = now_or_later(loaders.latest_posts, (root.user_id, rows_to_fetch(first, after)))
        return then(
            rows,
            lambda found: PostConnection.of_rows(
                found,
                first=first,
                after=after,
                counter=lambda: loaders.published_post_count.load(root.user_id),
            ),
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
                try:
                    limit = rows_to_fetch(
                        int_argument(field, "first"), str_argument(field, "after")
                    )
                except BadUserInput:
                    continue  # the field itself reports it
                loader = (
                    loaders.latest_testimonials
                    if field.name == "testimonials"
                    else loaders.latest_posts
                )
                pending.append(loader.load_many([(user_id, limit) for user_id in user_ids]))
        await asyncio.gather(*pending)

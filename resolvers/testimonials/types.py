"""Testimonials (P14): shown beyond author, mentor and moderators only with permission, and
naming the author only as the author chose."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketplace import (
    Attribution,
    Job,
    MentorProfile,
    PermissionChange,
    Testimonial,
    TestimonialPermissionEvent,
    TestimonialScope,
)
from resolvers.accounts.types import UserType
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.loaders import now_or_later, then
from resolvers.lookahead import selected_below
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field
from services import testimonials
from services.access.registry import SUCCESS_STORIES

if TYPE_CHECKING:
    from resolvers.jobs.types import JobType
    from resolvers.mentors.types import MentorType

TestimonialScopeEnum = described_enum(
    TestimonialScope,
    name="TestimonialScope",
    description="Where a testimonial may be shown: the mentor's profile, or marketing.",
    values={
        TestimonialScope.PROFILE: "On the mentor's public profile (`Mentor.testimonials`).",
        TestimonialScope.MARKETING: "As a success story staff may feature "
        "(`featuredTestimonials`).",
    },
)
AttributionEnum = described_enum(
    Attribution,
    name="Attribution",
    description="How the author is named: full name, first name and initial, or anonymous.",
    values={
        Attribution.FULL_NAME: "The author's display name as it is, e.g. Ada Lovelace.",
        Attribution.INITIALS: "First name and the initial of the last, e.g. Ada L.",
        Attribution.ANONYMOUS: "Shown as Anonymous.",
    },
)
PermissionChangeEnum = described_enum(
    PermissionChange,
    name="PermissionChange",
    description="What the author did to a display permission.",
    values={
        PermissionChange.GRANTED: "Allowed showing the testimonial there.",
        PermissionChange.REVOKED: "Withdrew that permission; it stopped being shown there.",
    },
)


@strawberry.type(description="One grant or revocation of a display permission, with its time.")
class TestimonialPermissionRecord:
    scope: TestimonialScopeEnum | None = registry_field(  # type: ignore[valid-type]
        TestimonialPermissionEvent, "scope", "Where it may be shown."
    )
    change: PermissionChangeEnum | None = registry_field(  # type: ignore[valid-type]
        TestimonialPermissionEvent, "change", "Granted or revoked."
    )
    attribution: AttributionEnum | None = registry_field(  # type: ignore[valid-type]
        TestimonialPermissionEvent, "attribution", "The naming granted; null on a revocation."
    )
    created_at: datetime = strawberry.field(description="When the author decided.")


def _author_named(root: Testimonial, attribution: Attribution | None, info: Info) -> Any:
    """The author as ``attribution`` names them; at once when the author is already loaded."""
    if attribution is Attribution.ANONYMOUS:
        return testimonials.ANONYMOUS_NAME
    if attribution is None:
        return _name_for_private_readers(root, info)
    author = now_or_later(info.context.loaders.rows(User), root.author_id)
    return then(
        author, lambda user: testimonials.author_name(user.name if user else "", attribution)
    )


async def _name_for_private_readers(root: Testimonial, info: Info) -> str:
    """No naming chosen yet: the testimonial is private, and the author's name is shown only to
    those the registry lets read it (the author, the mentor as counterparty, VIEW_PII staff,
    audited), not to every moderator."""
    author = await info.context.loaders.rows(User).load(root.author_id)
    if author is None or not await info.context.access.may_read(author, "name"):
        return testimonials.ANONYMOUS_NAME
    return testimonials.author_name(author.name, None)


async def _mentor(root: Testimonial, info: Info) -> Any:
    return await visible_row(info, MentorProfile, root.mentor_id, by="user_id")


@strawberry.type(
    name="Testimonial",
    description=(
        "A client's rating and words on a completed job. Private to its author, the mentor and "
        "moderators until the author grants permission to display it."
    ),
)
class TestimonialType(ModelNode):
    __test__ = False
    model = Testimonial

    id: relay.NodeID[int]
    rating: int | None = registry_field(Testimonial, "rating", "1 to 5.")
    text: str | None = registry_field(Testimonial, "text", "What the client wrote.")
    created_at: datetime = strawberry.field(description="When the client wrote it.")

    @strawberry.field(
        description=(
            "The author as they chose to be named: full name, first name and initial, or "
            "'Anonymous'."
        )
    )
    def author_name(self, root: Testimonial, info: Info) -> str:
        return _author_named(root, root.profile_attribution, info)

    @registry_field(
        Testimonial,
        "author",
        "The author's account: for the author and moderators, and for everyone only when "
        "displayed under the author's full name. Never for an anonymous one.",
    )
    async def author(self, root: Testimonial, info: Info) -> UserType | None:
        return await visible_row(info, User, root.author_id)  # type: ignore[return-value]

    @strawberry.field(description="The mentor the testimonial is about.")
    async def mentor(
        self, root: Testimonial, info: Info
    ) -> Annotated[MentorType, strawberry.lazy("resolvers.mentors.types")] | None:
        return await _mentor(root, info)

    @strawberry.field(description="The job it is about: for the job's parties and staff only.")
    async def job(
        self, root: Testimonial, info: Info
    ) -> Annotated[JobType, strawberry.lazy("resolvers.jobs.types")] | None:
        return await visible_row(info, Job, root.job_id)  # type: ignore[return-value]

    profile_attribution: AttributionEnum | None = registry_field(  # type: ignore[valid-type]
        Testimonial,
        "profile_attribution",
        "Shown on the mentor's profile under this naming; author and moderators only.",
    )
    marketing_attribution: AttributionEnum | None = registry_field(  # type: ignore[valid-type]
        Testimonial,
        "marketing_attribution",
        "Usable in marketing under this naming; author and moderators only.",
    )

    @strawberry.field(description="Whether staff feature it as a success story.")
    def featured(self, root: Testimonial) -> bool:
        return root.featured_at is not None

    @registry_field(
        Testimonial, "hidden_at", "Whether moderators hid it; author and moderators only."
    )
    def hidden(self, root: Testimonial) -> bool | None:
        return root.hidden_at is not None

    @strawberry.field(
        description=(
            "Every grant and revocation, oldest first (proof of consent); author and "
            "moderators only."
        )
    )
    async def permission_history(
        self, root: Testimonial, info: Info
    ) -> list[TestimonialPermissionRecord] | None:
        events = await testimonials.permission_history(info.context.access, root)
        return events  # type: ignore[return-value]


@strawberry.type(name="TestimonialConnection", description="A page of testimonials.")
class TestimonialConnection(CountedConnection[TestimonialType]):
    pass


@strawberry.type(
    name="SuccessStory",
    description=(
        "A testimonial staff feature in marketing, with its author's MARKETING permission and "
        "named as the author chose for marketing."
    ),
)
class SuccessStoryType:
    rating: int | None = registry_field(Testimonial, "rating", "1 to 5.", view=SUCCESS_STORIES)
    text: str | None = registry_field(
        Testimonial, "text", "What the client wrote.", view=SUCCESS_STORIES
    )
    featured_at: datetime = strawberry.field(description="When staff featured it.")

    @strawberry.field(
        description=(
            "A stable ID of the story. Not the testimonial's: an anonymous story must not lead "
            "to the testimonial, which the profile may show under the author's name."
        )
    )
    def id(self, root: Testimonial, info: Info) -> relay.GlobalID:
        secret = info.context.runtime.settings.secret_key.encode()
        tag = hmac.new(secret, f"success-story:{root.id}".encode(), hashlib.sha256)
        return relay.GlobalID("SuccessStory", tag.hexdigest()[:24])

    @strawberry.field(description="Full name, first name and initial, or 'Anonymous'.")
    def author_name(self, root: Testimonial, info: Info) -> str:
        return _author_named(root, root.marketing_attribution, info)

    @strawberry.field(description="The mentor the story is about.")
    async def mentor(
        self, root: Testimonial, info: Info
    ) -> Annotated[MentorType, strawberry.lazy("resolvers.mentors.types")] | None:
        return await _mentor(root, info)


@strawberry.type(name="SuccessStoryConnection", description="A page of success stories.")
class SuccessStoryConnection(CountedConnection[SuccessStoryType]):
    async def load_ahead(self, info: Info) -> None:
        """The mentors of a whole page in one read, when the operation asks for them (see
        ``PostConnection.load_ahead``)."""
        if any(field.name == "mentor" for field in selected_below(info, "edges", "node")):
            mentors = [edge.node.mentor_id for edge in self.edges]  # type: ignore[attr-defined]
            await info.context.loaders.rows(MentorProfile, "user_id").load_many(mentors)

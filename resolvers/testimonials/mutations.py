"""Testimonial mutations: thin wrappers over ``services.testimonials``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from core import limits
from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.testimonials.types import AttributionEnum, TestimonialScopeEnum, TestimonialType
from services import testimonials

_TESTIMONIAL_ID = "The testimonial's global ID."


@strawberry.input(description="Your testimonial of a job you were the client of.")
class WriteTestimonialInput:
    job_id: relay.GlobalID = strawberry.field(description="The COMPLETED job's global ID.")
    rating: int = strawberry.field(description="Stars, 1 (poor) to 5 (excellent).")
    text: str = strawberry.field(
        description="What you would tell others, at most "
        f"{limits.MAX_TESTIMONIAL_LENGTH} characters."
    )


@strawberry.input(description="Where your testimonial may be shown, and how you are named.")
class GrantTestimonialPermissionInput:
    testimonial_id: relay.GlobalID = strawberry.field(description=_TESTIMONIAL_ID)
    scope: TestimonialScopeEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where it may be shown."
    )
    attribution: AttributionEnum = strawberry.field(  # type: ignore[valid-type]
        description="How you are named where it is shown."
    )


@strawberry.input(description="Where your testimonial may no longer be shown.")
class RevokeTestimonialPermissionInput:
    testimonial_id: relay.GlobalID = strawberry.field(description=_TESTIMONIAL_ID)
    scope: TestimonialScopeEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where it stops being shown."
    )


@strawberry.input(description="A testimonial to feature, whose author granted MARKETING.")
class FeatureTestimonialInput:
    testimonial_id: relay.GlobalID = strawberry.field(description=_TESTIMONIAL_ID)


@strawberry.input(description="A testimonial to hide everywhere, or to show again.")
class HideTestimonialInput:
    testimonial_id: relay.GlobalID = strawberry.field(description=_TESTIMONIAL_ID)
    hidden: bool = strawberry.field(
        default=True, description="true hides it; false shows it again where it is permitted."
    )


@strawberry.type
class TestimonialResult(Payload):
    """The shape of a payload that answers with the testimonial acted on."""

    __test__ = False

    testimonial: TestimonialType | None = strawberry.field(
        default=None, description="The testimonial as it now is; null when `errors` says why not."
    )


@strawberry.type(description="What `writeTestimonial` answers: your new, private testimonial.")
class WriteTestimonialPayload(TestimonialResult):
    pass


@strawberry.type(description="What `grantTestimonialPermission` answers: the testimonial.")
class GrantTestimonialPermissionPayload(TestimonialResult):
    pass


@strawberry.type(description="What `revokeTestimonialPermission` answers: the testimonial.")
class RevokeTestimonialPermissionPayload(TestimonialResult):
    pass


@strawberry.type(description="What `featureTestimonial` answers: the featured testimonial.")
class FeatureTestimonialPayload(TestimonialResult):
    pass


@strawberry.type(description="What `hideTestimonial` answers: the testimonial, hidden or shown.")
class HideTestimonialPayload(TestimonialResult):
    pass


def _id(testimonial_id: relay.GlobalID) -> int:
    return row_id(testimonial_id, "Testimonial", field="testimonialId")


MODERATORS = staff(testimonials.MODERATORS)


@strawberry.type
class TestimonialMutations:
    @mutation(
        description="Rate a COMPLETED job as its client, once. Private until you grant permission.",
        guard=SIGNED_IN,
    )
    async def write_testimonial(
        self, info: Info, actor: User, input: WriteTestimonialInput
    ) -> WriteTestimonialPayload:
        job_id = row_id(input.job_id, "Job", field="jobId")
        row = await testimonials.write_testimonial(actor, job_id, input.rating, input.text)
        return WriteTestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description=(
            "Allow your testimonial to be shown (PROFILE or MARKETING), named as you choose."
        ),
        guard=SIGNED_IN,
    )
    async def grant_testimonial_permission(
        self, info: Info, actor: User, input: GrantTestimonialPermissionInput
    ) -> GrantTestimonialPermissionPayload:
        row = await testimonials.grant_permission(
            actor, _id(input.testimonial_id), input.scope, input.attribution
        )
        return GrantTestimonialPermissionPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description="Withdraw a permission; the testimonial stops being shown there at once.",
        guard=SIGNED_IN,
    )
    async def revoke_testimonial_permission(
        self, info: Info, actor: User, input: RevokeTestimonialPermissionInput
    ) -> RevokeTestimonialPermissionPayload:
        row = await testimonials.revoke_permission(actor, _id(input.testimonial_id), input.scope)
        return RevokeTestimonialPermissionPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description=(
            "Feature as a success story (staff MODERATE_CONTENT); needs the MARKETING permission."
        ),
        guard=MODERATORS,
    )
    async def feature_testimonial(
        self, info: Info, actor: User, input: FeatureTestimonialInput
    ) -> FeatureTestimonialPayload:
        row = await testimonials.feature(actor, _id(input.testimonial_id))
        return FeatureTestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description="Hide (or show again) a testimonial everywhere (staff MODERATE_CONTENT).",
        guard=MODERATORS,
    )
    async def hide_testimonial(
        self, info: Info, actor: User, input: HideTestimonialInput
    ) -> HideTestimonialPayload:
        row = await testimonials.set_hidden(actor, _id(input.testimonial_id), input.hidden)
        return HideTestimonialPayload(testimonial=row)  # type: ignore[arg-type]

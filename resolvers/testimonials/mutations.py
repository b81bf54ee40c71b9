"""Testimonial mutations: thin wrappers over ``services.testimonials``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.testimonials.types import AttributionEnum, TestimonialScopeEnum, TestimonialType
from services import testimonials


@strawberry.input
class WriteTestimonialInput:
    job_id: relay.GlobalID
    rating: int = strawberry.field(description="1 to 5.")
    text: str


@strawberry.input
class GrantTestimonialPermissionInput:
    testimonial_id: relay.GlobalID
    scope: TestimonialScopeEnum  # type: ignore[valid-type]
    attribution: AttributionEnum  # type: ignore[valid-type]


@strawberry.input
class RevokeTestimonialPermissionInput:
    testimonial_id: relay.GlobalID
    scope: TestimonialScopeEnum  # type: ignore[valid-type]


@strawberry.input
class TestimonialIdInput:
    __test__ = False

    testimonial_id: relay.GlobalID


@strawberry.input
class HideTestimonialInput:
    testimonial_id: relay.GlobalID
    hidden: bool = strawberry.field(default=True, description="false shows it again.")


@strawberry.type
class TestimonialPayload(Payload):
    __test__ = False

    testimonial: TestimonialType | None = None


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
    ) -> TestimonialPayload:
        job_id = row_id(input.job_id, "Job", field="jobId")
        row = await testimonials.write_testimonial(actor, job_id, input.rating, input.text)
        return TestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description=(
            "Allow your testimonial to be shown (PROFILE or MARKETING), named as you choose."
        ),
        guard=SIGNED_IN,
    )
    async def grant_testimonial_permission(
        self, info: Info, actor: User, input: GrantTestimonialPermissionInput
    ) -> TestimonialPayload:
        row = await testimonials.grant_permission(
            actor, _id(input.testimonial_id), input.scope, input.attribution
        )
        return TestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description="Withdraw a permission; the testimonial stops being shown there at once.",
        guard=SIGNED_IN,
    )
    async def revoke_testimonial_permission(
        self, info: Info, actor: User, input: RevokeTestimonialPermissionInput
    ) -> TestimonialPayload:
        row = await testimonials.revoke_permission(actor, _id(input.testimonial_id), input.scope)
        return TestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description=(
            "Feature as a success story (staff MODERATE_CONTENT); needs the MARKETING permission."
        ),
        guard=MODERATORS,
    )
    async def feature_testimonial(
        self, info: Info, actor: User, input: TestimonialIdInput
    ) -> TestimonialPayload:
        row = await testimonials.feature(actor, _id(input.testimonial_id))
        return TestimonialPayload(testimonial=row)  # type: ignore[arg-type]

    @mutation(
        description="Hide (or show again) a testimonial everywhere (staff MODERATE_CONTENT).",
        guard=MODERATORS,
    )
    async def hide_testimonial(
        self, info: Info, actor: User, input: HideTestimonialInput
    ) -> TestimonialPayload:
        row = await testimonials.set_hidden(actor, _id(input.testimonial_id), input.hidden)
        return TestimonialPayload(testimonial=row)  # type: ignore[arg-type]

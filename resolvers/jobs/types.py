"""Jobs, for their two parties and job staff only."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketplace import Job, JobStatus, MentorProfile, Testimonial
from resolvers.accounts.types import UserType
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.mentors.types import MentorType
from resolvers.money import Money
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field
from resolvers.testimonials.types import TestimonialType

JobStatusEnum = described_enum(
    JobStatus,
    name="JobStatus",
    description=(
        "Where a job stands. REQUESTED → ACCEPTED (or DECLINED) → PAID → DELIVERED → "
        "COMPLETED; CANCELLED where allowed; DISPUTED after a payment dispute."
    ),
    values={
        JobStatus.REQUESTED: "The client asked; the mentor has not answered.",
        JobStatus.ACCEPTED: "The mentor set a price; the client may pay it.",
        JobStatus.DECLINED: "The mentor said no. Closed.",
        JobStatus.PAID: "The client paid; the mentor does the work.",
        JobStatus.DELIVERED: "The mentor says it is done; the client confirms it.",
        JobStatus.COMPLETED: "The client confirmed it. Closed; the client may write a testimonial.",
        JobStatus.CANCELLED: "Called off before payment, or refunded in full. Closed.",
        JobStatus.DISPUTED: "The client disputes the payment with their bank; it waits for the "
        "outcome.",
    },
)


class JobParty(StrEnum):
    CLIENT = "CLIENT"
    MENTOR = "MENTOR"


# Registers JobParty itself as the GraphQL enum, as for every domain enum here.
described_enum(
    JobParty,
    name="JobParty",
    description="Which side of a job the viewer is on.",
    values={
        JobParty.CLIENT: "Jobs you asked a mentor for.",
        JobParty.MENTOR: "Jobs asked of you as a mentor.",
    },
)


@strawberry.type(
    name="Job",
    description="An engagement between a client and a mentor; visible to the two and staff.",
)
class JobType(ModelNode):
    model = Job

    id: relay.NodeID[int]
    status: JobStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where the job stands; only the job's mutations move it."
    )
    description: str | None = registry_field(Job, "description", "What the client asked for.")
    created_at: datetime = strawberry.field(description="When the client requested it.")
    accepted_at: datetime | None = strawberry.field(
        description="When the mentor accepted and priced it; null before."
    )
    paid_at: datetime | None = strawberry.field(
        description="When the client's payment succeeded; null before."
    )
    delivered_at: datetime | None = strawberry.field(
        description="When the mentor marked it delivered; null before."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it was completed, declined or cancelled."
    )

    @registry_field(Job, "price_cents", "The price the mentor set on accepting.")
    def price(self, root: Job) -> Money | None:
        return Money.of(root.price_cents, root.currency)

    @strawberry.field(description="The client; their name and photo open to the mentor.")
    async def client(self, root: Job, info: Info) -> UserType | None:
        return await visible_row(info, User, root.client_id)  # type: ignore[return-value]

    @strawberry.field(description="The mentor.")
    async def mentor(self, root: Job, info: Info) -> MentorType | None:
        mentor = await visible_row(info, MentorProfile, root.mentor_id, by="user_id")
        return mentor  # type: ignore[return-value]

    @strawberry.field(description="The client's testimonial, once written (parties, moderators).")
    async def testimonial(self, root: Job, info: Info) -> TestimonialType | None:
        written = await visible_row(info, Testimonial, root.id, by="job_id")
        return written  # type: ignore[return-value]


@strawberry.type(name="JobConnection", description="A page of jobs.")
class JobConnection(CountedConnection[JobType]):
    pass

"""Jobs, for their two parties and job staff only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import strawberry
from strawberry import relay

from app.context import Info
from models.marketplace import Job, JobStatus
from resolvers.accounts.types import UserType
from resolvers.ids import int_ids
from resolvers.mentors.types import MentorType
from resolvers.money import Money
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_visibility
from resolvers.testimonials.types import TestimonialType
from services import jobs, testimonials

JobStatusEnum = strawberry.enum(
    JobStatus,
    name="JobStatus",
    description=(
        "Where a job stands. REQUESTED → ACCEPTED (or DECLINED) → PAID → DELIVERED → "
        "COMPLETED; CANCELLED where allowed; DISPUTED after a payment dispute."
    ),
)


@strawberry.enum(name="JobParty", description="Which side of a job the viewer is on.")
class JobParty(StrEnum):
    CLIENT = "CLIENT"
    MENTOR = "MENTOR"


@strawberry.type(
    name="Job",
    description="An engagement between a client and a mentor; visible to the two and staff.",
)
class JobType(relay.Node):
    id: relay.NodeID[int]
    status: JobStatusEnum  # type: ignore[valid-type]
    description: str | None = strawberry.field(
        description="What the client asked for.",
        extensions=registry_visibility(Job, "description"),
    )
    created_at: datetime = strawberry.field(description="When the client requested it.")
    accepted_at: datetime | None
    paid_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None = strawberry.field(
        description="When it was completed, declined or cancelled."
    )

    @strawberry.field(
        description="The price the mentor set on accepting.",
        extensions=registry_visibility(Job, "price_cents"),
    )
    def price(self, root: Job) -> Money | None:
        return Money.of(root.price_cents, root.currency)

    @strawberry.field(description="The client; their name and photo open to the mentor.")
    async def client(self, root: Job, info: Info) -> UserType | None:
        nodes = await UserType.resolve_nodes(info=info, node_ids=[str(root.client_id)])
        return nodes[0]  # type: ignore[return-value]

    @strawberry.field(description="The mentor.")
    async def mentor(self, root: Job, info: Info) -> MentorType | None:
        return await info.context.loaders.mentor_of_user.load(root.mentor_id)  # type: ignore[return-value]

    @strawberry.field(description="The client's testimonial, once written (parties, moderators).")
    async def testimonial(self, root: Job, info: Info) -> TestimonialType | None:
        row = await info.context.loaders.testimonial_of_job.load(root.id)
        viewer = info.context.viewer
        if row is None or not testimonials.is_visible_to(viewer, row):
            return None
        return row  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Job)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Job | None]:
        user = info.context.viewer.user
        rows = await info.context.loaders.job.load_many(int_ids(node_ids))
        return [row if row and user and jobs.may_open(row, user) else None for row in rows]


@strawberry.type(name="JobConnection", description="A page of jobs.")
class JobConnection(CountedConnection[JobType]):
    pass

"""Job mutations: each one a transition of ``services.jobs``' table, by the viewer."""

from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from resolvers.base import Payload, payload_mutation
from resolvers.ids import row_id
from resolvers.jobs.types import JobType
from resolvers.money import MoneyInput
from resolvers.permissions import IsAuthenticated
from services import jobs
from services.jobs import JobAction
from services.payments import charges


@strawberry.input
class RequestJobInput:
    mentor_id: relay.GlobalID
    description: str


@strawberry.input
class AcceptJobInput:
    job_id: relay.GlobalID
    price: MoneyInput


@strawberry.input
class JobIdInput:
    job_id: relay.GlobalID


@strawberry.type
class JobPayload(Payload):
    job: JobType | None = None


async def _transition(
    info: Info, job_id: relay.GlobalID, action: JobAction, price: jobs.Price | None = None
) -> JobPayload:
    actor = info.context.viewer.require_user()
    job = await jobs.transition(row_id(job_id, "Job", field="jobId"), action, actor, price=price)
    return JobPayload(job=job)  # type: ignore[arg-type]


_SIGNED_IN = [IsAuthenticated()]


@strawberry.type
class JobMutations:
    @payload_mutation(description="Ask a mentor for help (as the client).", permissions=_SIGNED_IN)
    async def request_job(self, info: Info, input: RequestJobInput) -> JobPayload:
        client = info.context.viewer.require_user()
        mentor_id = row_id(input.mentor_id, "Mentor", field="mentorId")
        job = await jobs.request_job(client, mentor_id, input.description)
        return JobPayload(job=job)  # type: ignore[arg-type]

    @payload_mutation(
        description="Accept a request and set its price (mentor).", permissions=_SIGNED_IN
    )
    async def accept_job(self, info: Info, input: AcceptJobInput) -> JobPayload:
        price = jobs.checked_price(input.price.amount_cents, input.price.currency)
        return await _transition(info, input.job_id, JobAction.ACCEPT, price)

    @payload_mutation(description="Decline a request (mentor).", permissions=_SIGNED_IN)
    async def decline_job(self, info: Info, input: JobIdInput) -> JobPayload:
        return await _transition(info, input.job_id, JobAction.DECLINE)

    @payload_mutation(
        description=(
            "Cancel a job before payment: the client while REQUESTED or ACCEPTED, the mentor "
            "once ACCEPTED."
        ),
        permissions=_SIGNED_IN,
    )
    async def cancel_job(self, info: Info, input: JobIdInput) -> JobPayload:
        context = info.context
        job_id = row_id(input.job_id, "Job", field="jobId")
        job = await charges.cancel_job(context.runtime, context.viewer, job_id)
        return JobPayload(job=job)  # type: ignore[arg-type]

    @payload_mutation(description="Mark a paid job delivered (mentor).", permissions=_SIGNED_IN)
    async def deliver_job(self, info: Info, input: JobIdInput) -> JobPayload:
        return await _transition(info, input.job_id, JobAction.DELIVER)

    @payload_mutation(
        description="Confirm a delivered job is done (client).", permissions=_SIGNED_IN
    )
    async def complete_job(self, info: Info, input: JobIdInput) -> JobPayload:
        return await _transition(info, input.job_id, JobAction.COMPLETE)

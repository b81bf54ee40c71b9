"""Job mutations: each one a transition of ``services.jobs``' table, by the viewer."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.jobs.types import JobType
from resolvers.money import MoneyInput
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
    actor: User, job_id: relay.GlobalID, action: JobAction, price: jobs.Price | None = None
) -> JobPayload:
    job = await jobs.transition(row_id(job_id, "Job", field="jobId"), action, actor, price=price)
    return JobPayload(job=job)  # type: ignore[arg-type]


@strawberry.type
class JobMutations:
    @mutation(description="Ask a mentor for help (as the client).", guard=SIGNED_IN)
    async def request_job(self, info: Info, actor: User, input: RequestJobInput) -> JobPayload:
        mentor_id = row_id(input.mentor_id, "Mentor", field="mentorId")
        job = await jobs.request_job(actor, mentor_id, input.description)
        return JobPayload(job=job)  # type: ignore[arg-type]

    @mutation(description="Accept a request and set its price (mentor).", guard=SIGNED_IN)
    async def accept_job(self, info: Info, actor: User, input: AcceptJobInput) -> JobPayload:
        price = jobs.checked_price(input.price.amount_cents, input.price.currency)
        return await _transition(actor, input.job_id, JobAction.ACCEPT, price)

    @mutation(description="Decline a request (mentor).", guard=SIGNED_IN)
    async def decline_job(self, info: Info, actor: User, input: JobIdInput) -> JobPayload:
        return await _transition(actor, input.job_id, JobAction.DECLINE)

    @mutation(
        description=(
            "Cancel a job before payment: the client while REQUESTED or ACCEPTED, the mentor "
            "once ACCEPTED."
        ),
        guard=SIGNED_IN,
    )
    async def cancel_job(self, info: Info, actor: User, input: JobIdInput) -> JobPayload:
        job_id = row_id(input.job_id, "Job", field="jobId")
        hook = charges.IntentCancellation(info.context.runtime)
        job = await jobs.cancel_job(actor, job_id, hook)
        return JobPayload(job=job)  # type: ignore[arg-type]

    @mutation(description="Mark a paid job delivered (mentor).", guard=SIGNED_IN)
    async def deliver_job(self, info: Info, actor: User, input: JobIdInput) -> JobPayload:
        return await _transition(actor, input.job_id, JobAction.DELIVER)

    @mutation(description="Confirm a delivered job is done (client).", guard=SIGNED_IN)
    async def complete_job(self, info: Info, actor: User, input: JobIdInput) -> JobPayload:
        return await _transition(actor, input.job_id, JobAction.COMPLETE)

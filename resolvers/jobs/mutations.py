"""Job mutations: each one a transition of ``services.jobs``' table, by the viewer."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry import relay

from core import limits
from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.jobs.types import JobType
from resolvers.money import MoneyInput
from services import jobs
from services.jobs import JobAction
from services.payments import charges


@strawberry.input(description="The mentor to ask and what you need.")
class RequestJobInput:
    mentor_id: relay.GlobalID = strawberry.field(description="The mentor's global ID.")
    description: str = strawberry.field(
        description=f"What you need help with, at most {limits.MAX_JOB_DESCRIPTION_LENGTH} "
        "characters; only you, the mentor and job staff read it."
    )


@strawberry.input(description="A request of yours to accept, and its price.")
class AcceptJobInput:
    job_id: relay.GlobalID = strawberry.field(description="The REQUESTED job's global ID.")
    price: MoneyInput = strawberry.field(
        description="What the client pays for the whole job; it sets the payment's currency."
    )


@strawberry.input
class JobIdFields:
    """The one field of an input that names a job."""

    job_id: relay.GlobalID = strawberry.field(description="The job's global ID.")


@strawberry.input(description="A request to you, to decline.")
class DeclineJobInput(JobIdFields):
    pass


@strawberry.input(description="A job of yours, not yet paid, to cancel.")
class CancelJobInput(JobIdFields):
    pass


@strawberry.input(description="A PAID job of yours as its mentor, now delivered.")
class DeliverJobInput(JobIdFields):
    pass


@strawberry.input(description="A DELIVERED job of yours as its client, to close as done.")
class CompleteJobInput(JobIdFields):
    pass


@strawberry.type
class JobResult(Payload):
    """The shape of a payload that answers with the job acted on."""

    job: JobType | None = strawberry.field(
        default=None, description="The job as it now is; null when `errors` says why not."
    )


@strawberry.type(description="What `requestJob` answers: the new REQUESTED job.")
class RequestJobPayload(JobResult):
    pass


@strawberry.type(description="What `acceptJob` answers: the job, ACCEPTED and priced.")
class AcceptJobPayload(JobResult):
    pass


@strawberry.type(description="What `declineJob` answers: the job, DECLINED.")
class DeclineJobPayload(JobResult):
    pass


@strawberry.type(description="What `cancelJob` answers: the job, CANCELLED.")
class CancelJobPayload(JobResult):
    pass


@strawberry.type(description="What `deliverJob` answers: the job, DELIVERED.")
class DeliverJobPayload(JobResult):
    pass


@strawberry.type(description="What `completeJob` answers: the job, COMPLETED.")
class CompleteJobPayload(JobResult):
    pass


Result = TypeVar("Result", bound=JobResult)


async def _transition(
    answer: type[Result],
    actor: User,
    job_id: relay.GlobalID,
    action: JobAction,
    price: jobs.Price | None = None,
) -> Result:
    job = await jobs.transition(row_id(job_id, "Job", field="jobId"), action, actor, price=price)
    return answer(job=job)  # type: ignore[arg-type]


@strawberry.type
class JobMutations:
    @mutation(description="Ask a mentor for help (as the client).", guard=SIGNED_IN)
    async def request_job(
        self, info: Info, actor: User, input: RequestJobInput
    ) -> RequestJobPayload:
        mentor_id = row_id(input.mentor_id, "Mentor", field="mentorId")
        job = await jobs.request_job(actor, mentor_id, input.description)
        return RequestJobPayload(job=job)  # type: ignore[arg-type]

    @mutation(description="Accept a request and set its price (mentor).", guard=SIGNED_IN)
    async def accept_job(self, info: Info, actor: User, input: AcceptJobInput) -> AcceptJobPayload:
        price = jobs.checked_price(input.price.amount_cents, input.price.currency)
        return await _transition(AcceptJobPayload, actor, input.job_id, JobAction.ACCEPT, price)

    @mutation(description="Decline a request (mentor).", guard=SIGNED_IN)
    async def decline_job(
        self, info: Info, actor: User, input: DeclineJobInput
    ) -> DeclineJobPayload:
        return await _transition(DeclineJobPayload, actor, input.job_id, JobAction.DECLINE)

    @mutation(
        description=(
            "Cancel a job before payment: the client while REQUESTED or ACCEPTED, the mentor "
            "once ACCEPTED."
        ),
        guard=SIGNED_IN,
    )
    async def cancel_job(self, info: Info, actor: User, input: CancelJobInput) -> CancelJobPayload:
        job_id = row_id(input.job_id, "Job", field="jobId")
        hook = charges.IntentCancellation(info.context.runtime)
        job = await jobs.cancel_job(actor, job_id, hook)
        return CancelJobPayload(job=job)  # type: ignore[arg-type]

    @mutation(description="Mark a paid job delivered (mentor).", guard=SIGNED_IN)
    async def deliver_job(
        self, info: Info, actor: User, input: DeliverJobInput
    ) -> DeliverJobPayload:
        return await _transition(DeliverJobPayload, actor, input.job_id, JobAction.DELIVER)

    @mutation(description="Confirm a delivered job is done (client).", guard=SIGNED_IN)
    async def complete_job(
        self, info: Info, actor: User, input: CompleteJobInput
    ) -> CompleteJobPayload:
        return await _transition(CompleteJobPayload, actor, input.job_id, JobAction.COMPLETE)

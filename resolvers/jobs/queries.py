from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketplace import Job
from resolvers.base import SIGNED_IN, query
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from resolvers.jobs.types import (
    JobConnection,
    JobParty,
    JobStatusEnum,
    JobType,
)
from resolvers.nodes import visible_row
from services import jobs


@strawberry.type
class JobQueries:
    @query(description="The viewer's jobs as client or as mentor, newest first.", guard=SIGNED_IN)
    async def jobs(
        self,
        info: Info,
        actor: User,
        as_: Annotated[
            JobParty,
            strawberry.argument(name="as", description="Your side: jobs you asked for, or gave."),
        ] = JobParty.CLIENT,
        status: Annotated[
            JobStatusEnum | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only jobs in this status; null for every status."),
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> JobConnection:
        statuses = [status] if status else []
        found = jobs.jobs_of(info.context.access, jobs.JobRole(as_.value), statuses)
        return await JobConnection.resolve_connection(found, info=info, first=first, after=after)

    @strawberry.field(description="A job, for its two parties and staff; null for anyone else.")
    async def job(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The job's global ID.")],
    ) -> JobType | None:
        return await visible_row(info, Job, row_id_or_none(id, "Job"))  # type: ignore[return-value]

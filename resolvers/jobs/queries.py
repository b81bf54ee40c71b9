from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from app.context import Info
from core.errors import NotFound
from resolvers.ids import row_id
from resolvers.jobs.types import JobConnection, JobParty, JobStatusEnum, JobType
from resolvers.permissions import IsAuthenticated
from services import jobs


@strawberry.type
class JobQueries:
    @strawberry.field(
        description="The viewer's jobs as client or as mentor, newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def jobs(
        self,
        info: Info,
        as_: Annotated[JobParty, strawberry.argument(name="as")] = JobParty.CLIENT,
        status: JobStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> JobConnection:
        user = info.context.viewer.require_user()
        query = jobs.jobs_of(user, jobs.JobRole(as_.value), [status] if status else [])
        return await JobConnection.resolve_connection(query, info=info, first=first, after=after)

    @strawberry.field(description="A job, for its two parties and staff; null for anyone else.")
    async def job(self, info: Info, id: relay.GlobalID) -> JobType | None:
        try:
            job_id = row_id(id, "Job", field="id")
        except NotFound:
            return None
        return await jobs.visible_job(info.context.viewer, job_id)  # type: ignore[return-value]

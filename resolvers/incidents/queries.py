from __future__ import annotations

import strawberry

from models.accounts import StaffPermission, User
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.incidents.types import SecurityIncidentConnection
from resolvers.pagination import After, Before, First, Last
from services import incidents


@strawberry.type
class IncidentQueries:
    @query(
        description="Security incidents, most recently detected first, with their authority "
        "deadlines (staff, SECURITY).",
        guard=staff(StaffPermission.SECURITY),
    )
    async def security_incidents(
        self,
        info: Info,
        actor: User,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SecurityIncidentConnection:
        return await SecurityIncidentConnection.resolve_connection(
            incidents.newest_first(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

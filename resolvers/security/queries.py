from __future__ import annotations

import strawberry

from models.accounts import StaffPermission, User
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.pagination import After, Before, First, Last
from resolvers.security.types import SecurityEventConnection
from services.security import events


@strawberry.type
class SecurityQueries:
    @query(
        description="Security events (credential stuffing), newest first.",
        guard=staff(StaffPermission.SECURITY),
    )
    async def security_events(
        self,
        info: Info,
        actor: User,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SecurityEventConnection:
        return await SecurityEventConnection.resolve_connection(
            events.newest_first(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

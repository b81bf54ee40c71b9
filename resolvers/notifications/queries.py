from __future__ import annotations

from typing import Annotated

import strawberry

from models.accounts import User
from resolvers.base import SIGNED_IN, query
from resolvers.context import Info
from resolvers.notifications.types import NotificationConnection
from services.notifications import inbox


@strawberry.type
class NotificationQueries:
    @query(description="Your notifications, newest first.", guard=SIGNED_IN)
    async def notifications(
        self,
        info: Info,
        actor: User,
        first: int | None = None,
        after: str | None = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="true leaves out those already read.")
        ] = False,
    ) -> NotificationConnection:
        found = inbox.newest_first(info.context.access, unread_only=unread_only)
        return await NotificationConnection.resolve_connection(
            found, info=info, first=first, after=after
        )

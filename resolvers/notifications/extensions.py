"""The operation-wide rules notifications need, as schema extensions."""

from __future__ import annotations

from collections.abc import AsyncIterator

from strawberry.extensions import SchemaExtension

from resolvers.context import RequestContext
from services.notifications.emit import announcing


class AnnounceNotifications(SchemaExtension):
    """Once an operation's work is over, and so committed, wake the mail worker for the
    notification mail it queued (``services.notifications.emit.announcing``)."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            yield
            return
        async with announcing(context.runtime):
            yield

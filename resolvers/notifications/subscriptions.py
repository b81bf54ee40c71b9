"""``subscription { notifications }``: each new notification of the viewer, as it commits.

Each notification is a message of its own: who asks is read again from the session (revoked,
expired or deactivated, the connection is closed instead) and the loaders start empty, so a
long-lived connection never answers from what an earlier message saw.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator

import strawberry

from models.accounts import User
from models.notifications import Notification
from resolvers.base import SIGNED_IN, subscription
from resolvers.context import Info, RequestContext
from resolvers.notifications.types import NotificationType
from services.access.viewer import Viewer
from services.notifications.live import live_sessions

# graphql-transport-ws closes a connection that may not go on with 4403 (Forbidden).
SESSION_ENDED = 4403


async def _still_signed_in(context: RequestContext, session_id: int) -> bool:
    """Start the next message as whoever the session speaks for now, if it still does."""
    session = await live_sessions().filter(id=session_id).select_related("user").first()
    if session is None:
        return False
    context.start_message(
        Viewer(user=session.user, session=session, via_cookie=context.viewer.via_cookie)
    )
    return True


async def _sendable(context: RequestContext, batch: list[int]) -> list[Notification]:
    rows = await context.loaders.rows(Notification).load_many(batch)
    return [row for row in await context.access.visible_rows(rows) if row is not None]


@strawberry.type
class NotificationSubscriptions:
    @subscription(
        description="Your notifications as they happen, each once, over graphql-transport-ws "
        "or the legacy graphql-ws; the connection closes (4403) once its session is revoked "
        "or expires.",
        guard=SIGNED_IN,
    )
    async def notifications(
        self, info: Info, actor: User
    ) -> AsyncGenerator[NotificationType, None]:
        context = info.context
        assert context.viewer.session is not None, "a signed-in viewer has a session"
        session_id = context.viewer.session.id
        if await _still_signed_in(context, session_id):
            following = context.runtime.notifications.follow(actor.id, session_id)
            async with contextlib.aclosing(following):
                async for batch in following:
                    if not await _still_signed_in(context, session_id):
                        break
                    for row in await _sendable(context, batch):
                        yield row  # type: ignore[misc]
        # The stream ends with its session, or as the server stops.
        if context.connection is not None and not await _still_signed_in(context, session_id):
            await context.connection.close(SESSION_ENDED, "Session ended")

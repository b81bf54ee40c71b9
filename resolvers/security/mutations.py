"""Security mutations: revoking one of your sessions."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.security.types import SessionType
from services.access.viewer import ANONYMOUS
from services.security import sessions


@strawberry.input(description="Which of your sessions to end.")
class RevokeSessionInput:
    id: relay.GlobalID = strawberry.field(description="The session's ID, from me.sessions.")


@strawberry.type(description="The session revokeSession ended.")
class RevokeSessionPayload(Payload):
    session: SessionType | None = strawberry.field(
        default=None,
        description="The revoked session; null when it was this request's own (loggedOut).",
    )
    logged_out: bool = strawberry.field(
        default=False,
        description="True when the revoked session was this request's: you are logged out, "
        "as with logOut.",
    )


@strawberry.type
class SecurityMutations:
    @mutation(
        description="End one of your sessions, say on a device you lost; ending this one logs "
        "you out. Any other ID is NOT_FOUND.",
        guard=SIGNED_IN,
    )
    async def revoke_session(
        self, info: Info, actor: User, input: RevokeSessionInput
    ) -> RevokeSessionPayload:
        context = info.context
        session_id = row_id(input.id, "Session", field="id")
        revoked = await sessions.revoke(actor, session_id, context.client)
        current = context.viewer.session
        if current is None or current.id != revoked.id:
            return RevokeSessionPayload(session=revoked)  # type: ignore[arg-type]
        context.cookies.clear()
        context.replace_viewer(ANONYMOUS)
        return RevokeSessionPayload(logged_out=True)

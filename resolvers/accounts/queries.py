from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from models.accounts import User
from resolvers.accounts.types import UserType


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user, or null for an anonymous caller.")
    def me(self, info: Info) -> UserType | None:
        return info.context.viewer.user  # type: ignore[return-value]

    @strawberry.field(
        description=(
            "A user by global ID; null when it does not exist or you may not see it — the two "
            "are indistinguishable on purpose."
        )
    )
    async def user(self, info: Info, id: relay.GlobalID) -> UserType | None:
        if id.type_name != "User":
            return None
        nodes = await UserType.resolve_nodes(info=info, node_ids=[id.node_id])
        user: User | None = nodes[0]
        return user  # type: ignore[return-value]

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.partner_apps import PartnerScope
from resolvers.accounts.types import UserType
from resolvers.base import partner_scope
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from resolvers.nodes import visible_row


@strawberry.type
class AccountQueries:
    @strawberry.field(
        description="The signed-in user, or null for an anonymous caller.",
        directives=[partner_scope(PartnerScope.USER_READ)],
    )
    def me(self, info: Info) -> UserType | None:
        return info.context.viewer.user  # type: ignore[return-value]

    @strawberry.field(
        description=(
            "A user by global ID; null when it does not exist or you may not see it — the two "
            "are indistinguishable on purpose."
        ),
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def user(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The user's global ID.")],
    ) -> UserType | None:
        found = await visible_row(info, User, row_id_or_none(id, "User"))
        return found  # type: ignore[return-value]

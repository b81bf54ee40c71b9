from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, query
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.payments.types import PaymentConnection
from services.payments import charges


@strawberry.type
class PaymentQueries:
    @query(
        description=(
            "Billing history, newest first: the viewer's own payments, or (staff with "
            "MANAGE_PAYMENTS, audited) those of the user named by `userId`."
        ),
        guard=SIGNED_IN,
    )
    async def payments(
        self,
        info: Info,
        actor: User,
        first: int | None = None,
        after: str | None = None,
        user_id: Annotated[
            relay.GlobalID | None,
            strawberry.argument(
                description="Whose payments (MANAGE_PAYMENTS staff only); null for your own."
            ),
        ] = None,
    ) -> PaymentConnection:
        context = info.context
        subject_id = None if user_id is None else row_id(user_id, "User", field="userId")
        found = await charges.billing_history(context.access, actor, subject_id, context.client)
        return await PaymentConnection.resolve_connection(
            found, info=info, first=first, after=after
        )

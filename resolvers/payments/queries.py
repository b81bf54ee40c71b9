from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from resolvers.ids import row_id
from resolvers.payments.types import PaymentConnection
from resolvers.permissions import IsAuthenticated
from services.payments import charges


@strawberry.type
class PaymentQueries:
    @strawberry.field(
        description=(
            "Billing history, newest first: the viewer's own payments, or (staff with "
            "MANAGE_PAYMENTS, audited) those of the user named by `userId`."
        ),
        permission_classes=[IsAuthenticated],
    )
    async def payments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        user_id: relay.GlobalID | None = None,
    ) -> PaymentConnection:
        context = info.context
        subject_id = None if user_id is None else row_id(user_id, "User", field="userId")
        query = await charges.billing_history(context.viewer, subject_id, context.client)
        return await PaymentConnection.resolve_connection(
            query, info=info, first=first, after=after
        )

"""Staff list partner apps (MANAGE_PARTNERS)."""

from __future__ import annotations

import strawberry

from models.accounts import StaffPermission, User
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.pagination import After, Before, First, Last
from resolvers.partner_apps.types import PartnerAppConnection
from services import partner_apps


@strawberry.type
class PartnerAppQueries:
    @query(
        description="Partner apps, newest first, revoked ones too (staff, MANAGE_PARTNERS).",
        guard=staff(StaffPermission.MANAGE_PARTNERS),
    )
    async def partner_apps(
        self,
        info: Info,
        actor: User,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PartnerAppConnection:
        return await PartnerAppConnection.resolve_connection(
            partner_apps.apps(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

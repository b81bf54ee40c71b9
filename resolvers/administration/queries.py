from __future__ import annotations

from typing import Annotated

import strawberry

from models.accounts import StaffPermission, User
from resolvers.accounts.types import UserConnection
from resolvers.base import StaffPermissionEnum, query, staff
from resolvers.context import Info
from resolvers.pagination import After, Before, First, Last
from services import administration


@strawberry.input(description="Every given criterion must match.")
class UsersFilter:
    email: str | None = strawberry.field(
        default=None,
        description="An email address, matched exactly once trimmed and lower-cased. Each "
        "account found by it counts as a read of its address (audited).",
    )
    name: str | None = strawberry.field(
        default=None,
        description="Part of the name, in any case. Each account found by it counts as a "
        "read of its name (audited).",
    )
    staff_permission: StaffPermissionEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Accounts holding this staff permission."
    )


@strawberry.type
class AdministrationQueries:
    @query(
        description="Accounts in every state, newest first (staff, MANAGE_USERS). Fields "
        "follow the registry: state and staff permissions for MANAGE_USERS, personal fields "
        "with VIEW_PII only, each read audited.",
        guard=staff(StaffPermission.MANAGE_USERS),
    )
    async def users(
        self,
        info: Info,
        actor: User,
        filter: Annotated[
            UsersFilter | None, strawberry.argument(description="Which accounts.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> UserConnection:
        given = filter or UsersFilter()
        search = administration.UserSearch(
            email=given.email, name=given.name, staff_permission=given.staff_permission
        )
        access = info.context.access
        page: UserConnection = await UserConnection.resolve_connection(
            await administration.find_users(access, search),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )
        access.searched([edge.node for edge in page.edges], search.matched_fields())  # type: ignore[misc]
        return page

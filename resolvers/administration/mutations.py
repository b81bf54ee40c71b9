"""Administration mutations: thin wrappers over ``services.administration``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from resolvers.accounts.types import DeactivationReasonEnum, UserType
from resolvers.base import Payload, StaffPermissionEnum, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from services import administration

MANAGE_USERS = staff(StaffPermission.MANAGE_USERS)
MANAGE_STAFF = staff(StaffPermission.MANAGE_STAFF)
USER_ID = "The account, by its global User ID."
CHANGED_USER = "The account after the change, its fields as the registry shows them to you."
CHANGED = "False when the account already stood so: nothing changed and nothing was audited."


def _user_id(global_id: relay.GlobalID) -> int:
    return row_id(global_id, "User", field="userId")


@strawberry.input(description="Whose account to deactivate, and why.")
class DeactivateUserInput:
    user_id: relay.GlobalID = strawberry.field(description=USER_ID)
    reason: DeactivationReasonEnum = strawberry.field(  # type: ignore[valid-type]
        description="Why, from a fixed list: the audit log keeps it, and never free text."
    )


@strawberry.type(description="The result of deactivateUser.")
class DeactivateUserPayload(Payload):
    user: UserType | None = strawberry.field(default=None, description=CHANGED_USER)


@strawberry.input(description="Whose account to reactivate.")
class ReactivateUserInput:
    user_id: relay.GlobalID = strawberry.field(description=USER_ID)


@strawberry.type(description="The result of reactivateUser.")
class ReactivateUserPayload(Payload):
    user: UserType | None = strawberry.field(default=None, description=CHANGED_USER)


@strawberry.input(description="Whom to give a staff permission, and which.")
class GrantStaffPermissionInput:
    user_id: relay.GlobalID = strawberry.field(description=USER_ID)
    permission: StaffPermissionEnum = strawberry.field(  # type: ignore[valid-type]
        description="The permission to give."
    )


@strawberry.type(description="The result of grantStaffPermission.")
class GrantStaffPermissionPayload(Payload):
    user: UserType | None = strawberry.field(default=None, description=CHANGED_USER)
    changed: bool = strawberry.field(default=False, description=CHANGED)


@strawberry.input(description="Whom to take a staff permission from, and which.")
class RevokeStaffPermissionInput:
    user_id: relay.GlobalID = strawberry.field(description=USER_ID)
    permission: StaffPermissionEnum = strawberry.field(  # type: ignore[valid-type]
        description="The permission to take away."
    )


@strawberry.type(description="The result of revokeStaffPermission.")
class RevokeStaffPermissionPayload(Payload):
    user: UserType | None = strawberry.field(default=None, description=CHANGED_USER)
    changed: bool = strawberry.field(default=False, description=CHANGED)


@strawberry.type
class AdministrationMutations:
    @mutation(
        description="Deactivate an account (staff, MANAGE_USERS): its sessions end and "
        "log-in answers ACCOUNT_DEACTIVATED until it is reactivated. Never your own "
        "(OWN_ACCOUNT); again changes nothing. Audited with the reason.",
        guard=MANAGE_USERS,
    )
    async def deactivate_user(
        self, info: Info, actor: User, input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        user = await administration.deactivate_user(
            actor, _user_id(input.user_id), reason=input.reason, client=info.context.client
        )
        return DeactivateUserPayload(user=user)  # type: ignore[arg-type]

    @mutation(
        description="Reactivate an account staff deactivated (staff, MANAGE_USERS). Refused "
        "for an account scheduled for erasure (ACCOUNT_SCHEDULED_FOR_ERASURE: only its "
        "owner's cancel link keeps it) or erased (ACCOUNT_ERASED). Audited.",
        guard=MANAGE_USERS,
    )
    async def reactivate_user(
        self, info: Info, actor: User, input: ReactivateUserInput
    ) -> ReactivateUserPayload:
        user = await administration.reactivate_user(
            actor, _user_id(input.user_id), client=info.context.client
        )
        return ReactivateUserPayload(user=user)  # type: ignore[arg-type]

    @mutation(
        description="Give someone a staff permission (staff, MANAGE_STAFF); never yourself "
        "(OWN_ACCOUNT). Granting what they hold changes nothing. Audited.",
        guard=MANAGE_STAFF,
    )
    async def grant_staff_permission(
        self, info: Info, actor: User, input: GrantStaffPermissionInput
    ) -> GrantStaffPermissionPayload:
        user, changed = await administration.grant_staff_permission(
            actor, _user_id(input.user_id), input.permission, client=info.context.client
        )
        return GrantStaffPermissionPayload(user=user, changed=changed)  # type: ignore[arg-type]

    @mutation(
        description="Take a staff permission away (staff, MANAGE_STAFF); never from yourself "
        "(OWN_ACCOUNT). Revoking what they lack changes nothing. Audited.",
        guard=MANAGE_STAFF,
    )
    async def revoke_staff_permission(
        self, info: Info, actor: User, input: RevokeStaffPermissionInput
    ) -> RevokeStaffPermissionPayload:
        user, changed = await administration.revoke_staff_permission(
            actor, _user_id(input.user_id), input.permission, client=info.context.client
        )
        return RevokeStaffPermissionPayload(user=user, changed=changed)  # type: ignore[arg-type]

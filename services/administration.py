"""Staff administration (P13): finding accounts, deactivating and reactivating them, and who
holds which staff permission.

Policy: "we answer queries about your account for billing and administration". Account staff
(MANAGE_USERS) find accounts and deactivate or reactivate them; only holders of MANAGE_STAFF
change staff permissions. Nobody does either to their own account, so no one can lift a
block on themselves or hand themselves a power. Every change is audited with what changed
and why (a reason from a fixed list), never with a personal value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from tortoise import connections
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, DomainError, ErrorCode, NotFound
from models.accounts import DeactivationReason, StaffPermission, User
from models.audit import AuditAction
from models.deletion import DeletionStatus
from services import audit
from services.access.decisions import Access
from services.accounts import normalize_email, revoke_sessions
from services.client import ClientInfo
from services.deletion.erasure import ERASED_STATUSES, is_erased
from services.deletion.requests import latest_request
from services.transactions import transaction


class OwnAccount(DomainError):
    code = ErrorCode.OWN_ACCOUNT


class AccountErased(DomainError):
    code = ErrorCode.ACCOUNT_ERASED

    def __init__(self) -> None:
        super().__init__(
            "This account is erased: only its pseudonymous records remain.", field="userId"
        )


@dataclass(frozen=True)
class UserSearch:
    """What staff look for. ``email`` is matched exactly once normalised: staff find the
    account of an address someone wrote from, and cannot list addresses by their first
    letters. ``name`` is a case-insensitive part of the name."""

    email: str | None = None
    name: str | None = None
    staff_permission: StaffPermission | None = None

    def matched_fields(self) -> list[str]:
        """The personal fields the search matches on: finding a person by one reads it."""
        return [name for name in ("email", "name") if getattr(self, name)]


async def find_users(access: Access, search: UserSearch) -> QuerySet[User]:
    """The accounts the viewer sees that match ``search``, newest first."""
    found = access.visible(User)
    if search.email:
        found = found.filter(email=normalize_email(search.email))
    if search.name:
        name = search.name.strip()
        if len(name) > limits.MAX_NAME_LENGTH:
            raise BadUserInput(f"Use at most {limits.MAX_NAME_LENGTH} characters.", field="name")
        found = found.filter(name__icontains=name)
    if search.staff_permission is not None:
        found = found.filter(id__in=await holders_of(search.staff_permission))
    return found.order_by("-created_at", "-id")


async def holders_of(permission: StaffPermission) -> list[int]:
    """The ids of the accounts holding ``permission``, looked up inside the JSON list column:
    with jsonb containment on PostgreSQL, with ``json_each`` on SQLite (Tortoise has no
    lookup for it there). Staff are few, so the ids are a short list."""
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        held = User.filter(staff_permissions__contains=[permission.value])
        return cast(list[int], await held.values_list("id", flat=True))
    table = User._meta.db_table
    _, rows = await connection.execute_query(
        f'SELECT "{table}".id FROM "{table}", json_each("{table}".staff_permissions) AS held '
        "WHERE held.value = ?",
        [permission.value],
    )
    return [int(row["id"]) for row in rows]


def _not_on_oneself(staff: User, user_id: int, refused: str) -> None:
    if user_id == staff.id:
        raise OwnAccount(f"{refused} Ask another administrator.", field="userId")


async def _locked(user_id: int) -> User:
    user = await User.filter(id=user_id).select_for_update().first()
    if user is None:
        raise NotFound("No such user.", field="userId")
    return user


async def deactivate_user(
    staff: User, user_id: int, *, reason: DeactivationReason, client: ClientInfo
) -> User:
    """Block the account: its sessions end and log-in is refused until staff reactivate it
    (cancelling a deletion does not lift it). Deactivating it again changes nothing."""
    _not_on_oneself(staff, user_id, "You cannot deactivate your own account.")
    async with transaction():
        user = await _locked(user_id)
        if user.deactivated_at is not None:
            return user
        if await is_erased(user.id):
            raise AccountErased()
        user.is_active = False
        user.deactivated_at = clock.now()
        user.deactivation_reason = reason
        await user.save(
            update_fields=["is_active", "deactivated_at", "deactivation_reason", "updated_at"]
        )
        await revoke_sessions(user, client, reason="deactivated by staff", by=staff)
        await audit.record(
            AuditAction.USER_DEACTIVATED,
            actor_id=staff.id,
            subject_id=user.id,
            detail={"reason": reason.value},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return user


async def reactivate_user(staff: User, user_id: int, *, client: ClientInfo) -> User:
    """Lift a deactivation. An account whose owner's deletion is under way or done stays as
    it is: scheduled for erasure, it comes back only through its owner's cancel link."""
    async with transaction():
        user = await _locked(user_id)
        deletion = await latest_request(user.id)
        status = deletion.status if deletion is not None else None
        if status in ERASED_STATUSES:
            raise AccountErased()
        if status is DeletionStatus.SCHEDULED:
            raise DomainError(
                "This account is scheduled for erasure at its owner's request; only the "
                "owner's cancel link can keep it.",
                field="userId",
                code=ErrorCode.ACCOUNT_SCHEDULED_FOR_ERASURE,
            )
        if user.is_active:
            return user
        user.is_active = True
        user.deactivated_at = None
        user.deactivation_reason = None
        await user.save(
            update_fields=["is_active", "deactivated_at", "deactivation_reason", "updated_at"]
        )
        await audit.record(
            AuditAction.USER_REACTIVATED,
            actor_id=staff.id,
            subject_id=user.id,
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return user


async def grant_staff_permission(
    staff: User, user_id: int, permission: StaffPermission, *, client: ClientInfo
) -> tuple[User, bool]:
    """Give ``permission``; answers the user and whether anything changed (granting what is
    held already changes nothing and is not audited again)."""
    return await _set_staff_permission(staff, user_id, permission, held=True, client=client)


async def revoke_staff_permission(
    staff: User, user_id: int, permission: StaffPermission, *, client: ClientInfo
) -> tuple[User, bool]:
    """Take ``permission`` away; the user's next request no longer has it."""
    return await _set_staff_permission(staff, user_id, permission, held=False, client=client)


async def _set_staff_permission(
    staff: User, user_id: int, permission: StaffPermission, *, held: bool, client: ClientInfo
) -> tuple[User, bool]:
    _not_on_oneself(staff, user_id, "You cannot change your own staff permissions.")
    async with transaction():
        user = await _locked(user_id)
        if held and await is_erased(user.id):
            raise AccountErased()
        if user.has_staff_permission(permission) is held:
            return user, False
        others = set(user.staff_permissions) - {permission.value}
        user.staff_permissions = sorted(others | {permission.value} if held else others)
        await user.save(update_fields=["staff_permissions", "updated_at"])
        await audit.record(
            AuditAction.STAFF_PERMISSION_GRANTED if held else AuditAction.STAFF_PERMISSION_REVOKED,
            actor_id=staff.id,
            subject_id=user.id,
            detail={"permission": permission.value},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return user, True

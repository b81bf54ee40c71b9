"""A user's log-ins: their history, and the notice of a sign-in from a new device.

Every log-in and failed attempt is an audit row (LOGIN, LOGIN_FAILED) whose subject is the
account, with its method, its network (/24, /48) and its browser's family, never the address
or the User-Agent. The user reads their own as their login history; a failure on their
address counts for them, whoever sent it.

A successful log-in from a browser family and network that none of the user's earlier
successful log-ins had is announced to them (NEW_DEVICE_LOGIN, always by email): someone else
may hold the password. The first log-in of an account is no alarm, nor the first since
log-ins record their browser: there is no earlier device to compare it with (and the first
follows the sign-up made on that device).
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from models.accounts import User
from models.audit import AuditAction, AuditEntry, LoginMethod
from models.notifications import NotificationKind
from services import audit
from services.access.decisions import Access
from services.access.registry import LOGIN_HISTORY
from services.client import ClientInfo, browser_of
from services.notifications.emit import notify

LOG_INS = (AuditAction.LOGIN, AuditAction.LOGIN_FAILED)
# What a log-in records when ua-parser names no family; null stays "not recorded" (rows
# written before log-ins recorded their browser), which no device comparison counts.
UNRECOGNISED_BROWSER = "Other"


def family_of(user_agent: str | None) -> str:
    """The browser family a log-in or session is shown with."""
    return browser_of(user_agent).family or UNRECOGNISED_BROWSER


def history(access: Access, user_id: int) -> QuerySet[AuditEntry]:
    """The user's log-ins and failed attempts on their account, newest first."""
    rows = access.visible(AuditEntry, LOGIN_HISTORY).filter(subject_id=user_id, action__in=LOG_INS)
    return rows.order_by("-created_at", "-id")


def method_of(entry: AuditEntry) -> LoginMethod:
    """Rows from before methods were recorded are password log-ins: there was no other."""
    return LoginMethod(str(entry.detail.get("method", LoginMethod.PASSWORD)))


async def record_log_in(user: User, client: ClientInfo, method: LoginMethod) -> None:
    """Audit a successful log-in and tell the user when it came from a new device; inside the
    transaction that opens the session, so the notice commits with it."""
    family = family_of(client.user_agent)
    # One log-in of the user at a time past this point, so two at once from one new device
    # cannot both find it new. NO KEY: the new session's foreign key already holds a key
    # share on the row, as another log-in's does, and a full FOR UPDATE would deadlock them.
    await User.select_for_update(no_key=True).filter(id=user.id).first()
    if await _from_a_new_device(user.id, family, client.ip_prefix):
        await notify(NotificationKind.NEW_DEVICE_LOGIN, [user.id], browser_family=family)
    await audit.record(
        AuditAction.LOGIN,
        actor_id=user.id,
        subject_id=user.id,
        detail={"method": method.value},
        ip_prefix=client.ip_prefix,
        browser_family=family,
        request_id=client.request_id,
    )


async def record_failed_log_in(user: User | None, client: ClientInfo, method: LoginMethod) -> None:
    """Audit a refused log-in; on the account when the address has one."""
    await audit.record(
        AuditAction.LOGIN_FAILED,
        subject_id=user.id if user else None,
        detail={"method": method.value},
        ip_prefix=client.ip_prefix,
        browser_family=family_of(client.user_agent),
        request_id=client.request_id,
    )


async def _from_a_new_device(user_id: int, family: str, network: str | None) -> bool:
    earlier = AuditEntry.filter(
        subject_id=user_id, action=AuditAction.LOGIN, browser_family__isnull=False
    )
    if not await earlier.exists():
        return False
    same = earlier.filter(browser_family=family)
    same = same.filter(ip_prefix=network) if network else same.filter(ip_prefix__isnull=True)
    return not await same.exists()

"""Security incidents and breach notification (P15: "we prevent security issues and
investigate breaches").

SECURITY staff record an incident: what happened in general terms, when they became aware of
it, the categories of personal data it concerned, and who it concerned (named, or found by a
query). The supervisory authority must hear of it "not later than 72 hours after having
become aware of it" (GDPR Art. 33(1)): the incident carries that deadline, and staff record
when they met it. Each person it concerned is told once (Art. 34): one notification and one
mail, written in the transaction that marks their row notified, in batches under the
incident's row lock, so calling again, two staff at once, or the sweep finishing what a
crash left half done, tell nobody twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, NotFound
from core.runtime import Runtime
from models.accounts import Session, User
from models.audit import AuditAction
from models.incidents import AffectedUser, SecurityIncident
from models.notifications import NotificationKind
from services import audit
from services.access.decisions import Access
from services.access.policy import Category
from services.client import ClientInfo
from services.notifications.emit import announcing, notify
from services.profile_fields import checked_text
from services.transactions import transaction

AUTHORITY_DEADLINE = timedelta(hours=72)


class AffectedUsersQuery(StrEnum):
    """How an incident finds the people it concerned, beside those named by id."""

    # Everyone with a session that was live at some moment of the window: a leak of
    # sessions, or of what signed-in pages showed, in that time.
    SESSIONS_IN_WINDOW = "SESSIONS_IN_WINDOW"
    ALL_ACTIVE_USERS = "ALL_ACTIVE_USERS"


@dataclass(frozen=True)
class UserQuery:
    kind: AffectedUsersQuery
    start: datetime | None = None
    end: datetime | None = None


class DeadlineStatus(StrEnum):
    """Where the authority's 72 hours stand."""

    RUNNING = "RUNNING"  # not notified yet, within the deadline
    OVERDUE = "OVERDUE"  # not notified, and the deadline has passed
    MET = "MET"  # notified by the deadline
    MISSED = "MISSED"  # notified after it, with the reasons for the delay


def deadline_status(incident: SecurityIncident) -> DeadlineStatus:
    notified = incident.authority_notified_at
    if notified is None:
        overdue = clock.now() > incident.authority_deadline
        return DeadlineStatus.OVERDUE if overdue else DeadlineStatus.RUNNING
    return DeadlineStatus.MET if notified <= incident.authority_deadline else DeadlineStatus.MISSED


def hours_until_deadline(incident: SecurityIncident) -> float | None:
    """Hours left to notify the authority, negative once past; None once it was notified."""
    if incident.authority_notified_at is not None:
        return None
    left = incident.authority_deadline - clock.now()
    return round(left.total_seconds() / 3600, 1)


def _moment(value: datetime, *, field: str) -> datetime:
    """A moment that has happened, with its UTC offset (a bare time is no moment)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise BadUserInput(
            "Give the time with its UTC offset, e.g. 2026-12-01T09:30:00Z.", field=field
        )
    if value > clock.now():
        raise BadUserInput("This time is in the future.", field=field)
    return value


def _text(value: str | None, *, field: str) -> str:
    return checked_text(value, field=field, limit=limits.MAX_INCIDENT_TEXT_LENGTH)


async def _named(user_ids: Sequence[int]) -> set[int]:
    if len(user_ids) > limits.MAX_INCIDENT_USER_IDS:
        raise BadUserInput(
            f"Name at most {limits.MAX_INCIDENT_USER_IDS} users, or use affectedUsersQuery.",
            field="affectedUserIds",
        )
    named = set(user_ids)
    found = await User.filter(id__in=sorted(named)).values_list("id", flat=True)
    if len(found) != len(named):
        raise NotFound("No such user.", field="affectedUserIds")
    return named


def _queried(query: UserQuery) -> QuerySet[User] | QuerySet[Session]:
    field = "affectedUsersQuery"
    if query.kind is AffectedUsersQuery.ALL_ACTIVE_USERS:
        if query.start is not None or query.end is not None:
            raise BadUserInput("ALL_ACTIVE_USERS takes no window.", field=f"{field}.from")
        return User.filter(is_active=True)
    if query.start is None or query.end is None:
        raise BadUserInput("SESSIONS_IN_WINDOW needs `from` and `to`.", field=f"{field}.from")
    start = _moment(query.start, field=f"{field}.from")
    end = _moment(query.end, field=f"{field}.to")
    if start >= end:
        raise BadUserInput("The window must end after it starts.", field=f"{field}.to")
    return Session.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gte=start),
        created_at__lte=end,
        expires_at__gte=start,
    )


async def _affected(user_ids: Sequence[int], query: UserQuery | None) -> list[int]:
    if not user_ids and query is None:
        raise BadUserInput(
            "Name the affected users: by id, by affectedUsersQuery, or both.",
            field="affectedUserIds",
        )
    affected = await _named(user_ids)
    if query is not None:
        found = _queried(query)
        column = "id" if found.model is User else "user_id"
        queried: list[Any] = await found.distinct().values_list(column, flat=True)
        affected.update(queried)
    return sorted(affected)


async def record_incident(
    actor: User,
    *,
    summary: str,
    detected_at: datetime,
    categories: Sequence[Category],
    user_ids: Sequence[int],
    query: UserQuery | None,
    client: ClientInfo,
) -> SecurityIncident:
    """Record an incident and who it concerned; refused whole, with nothing stored, when any
    of it is wrong."""
    summary = _text(summary, field="summary")
    if not summary:
        raise BadUserInput("Say what happened, in general terms.", field="summary")
    detected_at = _moment(detected_at, field="detectedAt")
    if not categories:
        raise BadUserInput("Name the categories of personal data it concerned.", field="categories")
    chosen = [category.value for category in Category if category in categories]
    affected = await _affected(user_ids, query)
    async with transaction():
        incident = await SecurityIncident.create(
            summary=summary,
            detected_at=detected_at,
            categories=chosen,
            authority_deadline=detected_at + AUTHORITY_DEADLINE,
            affected_user_count=len(affected),
            recorded_by_id=actor.id,
        )
        for start in range(0, len(affected), limits.MAX_IDS_PER_QUERY):
            await AffectedUser.bulk_create(
                [
                    AffectedUser(incident_id=incident.id, user_id=user_id)
                    for user_id in affected[start : start + limits.MAX_IDS_PER_QUERY]
                ]
            )
        await audit.record(
            AuditAction.SECURITY_INCIDENT_RECORDED,
            actor_id=actor.id,
            detail={"incident": incident.id, "categories": chosen, "affected": len(affected)},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return incident


def newest_first(access: Access) -> QuerySet[SecurityIncident]:
    """The incidents the viewer sees (SECURITY staff: all), most recently detected first."""
    return access.visible(SecurityIncident).order_by("-detected_at", "-id")


async def _visible(actor: User, incident_id: int) -> SecurityIncident:
    found = await newest_first(Access.of(actor)).filter(id=incident_id).first()
    if found is None:
        raise NotFound("No such security incident.", field="incidentId")
    return found


async def mark_authority_notified(
    actor: User,
    incident_id: int,
    *,
    notified_at: datetime | None,
    delay_reason: str | None,
    client: ClientInfo,
) -> SecurityIncident:
    """Record when the supervisory authority was notified; once, with the reasons for the
    delay when it was after the deadline (Art. 33(1))."""
    incident = await _visible(actor, incident_id)
    if incident.authority_notified_at is not None:
        raise Conflict("The authority's notification is already recorded.", field="incidentId")
    moment = clock.now() if notified_at is None else _moment(notified_at, field="notifiedAt")
    if moment < incident.detected_at:
        raise BadUserInput(
            "The authority was told after the incident was detected.", field="notifiedAt"
        )
    reason = _text(delay_reason, field="delayReason") or None
    if moment > incident.authority_deadline and reason is None:
        raise BadUserInput(
            "After the 72 hours, the notification states the reasons for the delay.",
            field="delayReason",
        )
    async with transaction():
        locked = await SecurityIncident.filter(id=incident.id).select_for_update().first()
        assert locked is not None
        if locked.authority_notified_at is not None:
            raise Conflict("The authority's notification is already recorded.", field="incidentId")
        await SecurityIncident.filter(id=incident.id).update(
            authority_notified_at=moment, authority_delay_reason=reason
        )
        await audit.record(
            AuditAction.INCIDENT_AUTHORITY_NOTIFIED,
            actor_id=actor.id,
            detail={"incident": incident.id, "late": moment > incident.authority_deadline},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return await SecurityIncident.get(id=incident.id)


@dataclass
class _Tally:
    told: int = 0


async def notify_affected_users(
    runtime: Runtime, actor: User, incident_id: int, client: ClientInfo
) -> SecurityIncident:
    """Tell everyone the incident concerned who was not told yet; audited with the counts,
    also when it stops half way (calling again tells the rest)."""
    incident = await _visible(actor, incident_id)
    await SecurityIncident.filter(id=incident.id, notifying_since=None).update(
        notifying_since=clock.now()
    )
    tally = _Tally()
    try:
        await _notify_all(runtime, incident.id, tally)
    finally:
        incident = await _notified(incident.id, tally, actor_id=actor.id, client=client)
    return incident


async def resume_notifying(runtime: Runtime) -> int:
    """Finish telling the people of every incident a crash or a failure left half told: the
    sweep's job. Answers how many were told."""
    told = 0
    unfinished = SecurityIncident.filter(notifying_since__isnull=False, users_notified_at=None)
    owed: list[Any] = await unfinished.order_by("id").values_list("id", flat=True)
    for incident_id in owed:
        tally = _Tally()
        try:
            await _notify_all(runtime, incident_id, tally)
        finally:
            if tally.told:
                await _notified(incident_id, tally, actor_id=None, client=ClientInfo())
        told += tally.told
    return told


async def _notified(
    incident_id: int, tally: _Tally, *, actor_id: int | None, client: ClientInfo
) -> SecurityIncident:
    incident = await SecurityIncident.get(id=incident_id)
    await audit.record(
        AuditAction.SECURITY_INCIDENT_NOTIFIED,
        actor_id=actor_id,
        detail={
            "incident": incident.id,
            "notified": tally.told,
            "notified_total": incident.notified_user_count,
            "affected": incident.affected_user_count,
            "finished": incident.users_notified_at is not None,
        },
        ip_prefix=client.ip_prefix,
        request_id=client.request_id,
    )
    return incident


async def _notify_all(runtime: Runtime, incident_id: int, tally: _Tally) -> None:
    async with announcing(runtime):
        while (told := await _notify_batch(runtime, incident_id)) is not None:
            tally.told += told


async def _notify_batch(runtime: Runtime, incident_id: int) -> int | None:
    """Tell the next batch of people not told yet; None once nobody is left. The incident's
    row lock makes concurrent senders take turns, and each sees the rows the one before it
    marked."""
    async with transaction():
        incident = await SecurityIncident.filter(id=incident_id).select_for_update().first()
        if incident is None:
            return None
        owed = (
            await AffectedUser.filter(incident_id=incident_id, notified_at=None)
            .order_by("id")
            .limit(runtime.settings.incident_notice_batch_size)
            .values_list("id", "user_id")
        )
        now = clock.now()
        if not owed:
            if incident.users_notified_at is None:
                incident.users_notified_at = now
                await incident.save(update_fields=["users_notified_at"])
            return None
        categories = [Category(name) for name in incident.categories]
        user_ids = [user_id for _, user_id in owed]
        await notify(NotificationKind.SECURITY_INCIDENT, user_ids, categories=categories)
        await AffectedUser.filter(id__in=[row_id for row_id, _ in owed]).update(notified_at=now)
        incident.notified_user_count += len(owed)
        await incident.save(update_fields=["notified_user_count"])
    return len(owed)


def notices_of(access: Access, user_id: int) -> QuerySet[AffectedUser]:
    """The incidents that concerned the user and were told to them, newest first."""
    told = access.visible(AffectedUser).filter(user_id=user_id, notified_at__isnull=False)
    return told.order_by("-notified_at", "-id")

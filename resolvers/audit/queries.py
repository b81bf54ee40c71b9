from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from resolvers.audit.types import AuditActionEnum, AuditLogEntryConnection
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.pagination import After, Before, First, Last
from services import audit


@strawberry.input(description="Every given criterion must match.")
class AuditLogFilter:
    action: AuditActionEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Entries of this action."
    )
    actor_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Entries of what this user did."
    )
    subject_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Entries about this user."
    )
    since: datetime | None = strawberry.field(
        default=None, name="from", description="Entries at or after this time."
    )
    until: datetime | None = strawberry.field(
        default=None,
        name="to",
        description="Entries before this time. Give it to page through a fixed window: "
        "reading the log writes new entries (staff reads of addresses in it).",
    )


def _user_id(global_id: relay.GlobalID | None, field: str) -> int | None:
    return None if global_id is None else row_id(global_id, "User", field=field)


@strawberry.type
class AuditQueries:
    @query(
        description="The audit log, newest first (staff, SECURITY): every staff read of "
        "personal data, billing lookup, disclosure, export, deletion, consent change and "
        "security event. An erased account appears by its pseudonym only.",
        guard=staff(StaffPermission.SECURITY),
    )
    async def audit_log(
        self,
        info: Info,
        actor: User,
        filter: Annotated[
            AuditLogFilter | None, strawberry.argument(description="Which entries.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AuditLogEntryConnection:
        given = filter or AuditLogFilter()
        wanted = audit.LogFilter(
            action=given.action,
            actor_id=_user_id(given.actor_id, "actorId"),
            subject_id=_user_id(given.subject_id, "subjectId"),
            since=given.since,
            until=given.until,
        )
        return await AuditLogEntryConnection.resolve_connection(
            audit.entries(info.context.access, wanted),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

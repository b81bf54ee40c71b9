"""GraphQL types of security incidents. An incident is SECURITY staff's record and names
nobody; a notice is one person's own record that an incident concerned them and they were
told, showing them what the incident's record says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from models.accounts import User
from models.incidents import AffectedUser, SecurityIncident
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.loaders import now_or_later, then
from resolvers.nodes import ModelNode
from resolvers.pagination import After, Before, CountedConnection, First, Last
from resolvers.permissions import DataCategoryEnum, registry_field, rows_of
from services import incidents
from services.access.policy import Category
from services.incidents import AffectedUsersQuery, DeadlineStatus

AffectedUsersQueryEnum = described_enum(
    AffectedUsersQuery,
    name="AffectedUsersQueryKind",
    description="How an incident finds the people it concerned, beside those named by id.",
    values={
        AffectedUsersQuery.SESSIONS_IN_WINDOW: "Everyone with a session live at some moment "
        "between `from` and `to`.",
        AffectedUsersQuery.ALL_ACTIVE_USERS: "Every active account.",
    },
)
DeadlineStatusEnum = described_enum(
    DeadlineStatus,
    name="AuthorityDeadlineStatus",
    description="Where the 72 hours to notify the supervisory authority stand (GDPR Art. 33).",
    values={
        DeadlineStatus.RUNNING: "Not notified yet; the deadline has not passed.",
        DeadlineStatus.OVERDUE: "Not notified, and the deadline has passed.",
        DeadlineStatus.MET: "Notified by the deadline.",
        DeadlineStatus.MISSED: "Notified after the deadline, with the reasons for the delay.",
    },
)


def _categories(names: list[str]) -> list[Category]:
    return [Category(name) for name in names]


@strawberry.type(
    name="SecurityIncident",
    description="A personal data breach as SECURITY staff recorded it, with its 72-hour "
    "deadline to the supervisory authority (GDPR Art. 33). It names nobody: it counts the "
    "people it concerned.",
)
class SecurityIncidentType(ModelNode):
    model = SecurityIncident

    id: relay.NodeID[int]
    summary: str = strawberry.field(
        description="What happened, in general terms; the people it concerned read it too."
    )
    detected_at: datetime = strawberry.field(
        description="When staff became aware of it: the deadline runs from here."
    )
    authority_deadline: datetime = strawberry.field(
        description="When the supervisory authority must have been notified: detectedAt + 72 h."
    )
    authority_notified_at: datetime | None = strawberry.field(
        description="When the authority was notified (markAuthorityNotified); null until then."
    )
    authority_delay_reason: str | None = strawberry.field(
        description="Why the authority was notified after the deadline, if it was."
    )
    affected_user_count: int = strawberry.field(
        description="How many people it concerned, as recorded."
    )
    notified_user_count: int = strawberry.field(
        description="How many of them have been told (notifyAffectedUsers)."
    )
    users_notified_at: datetime | None = strawberry.field(
        description="When the last of them was told; null while some are still owed a notice."
    )
    created_at: datetime = strawberry.field(description="When it was recorded.")

    @strawberry.field(description="The categories of personal data it concerned.")
    def categories(self, root: SecurityIncident) -> list[DataCategoryEnum]:  # type: ignore[valid-type]
        return _categories(root.categories)

    @strawberry.field(description="Where the authority's 72 hours stand.")
    def authority_deadline_status(self, root: SecurityIncident) -> DeadlineStatusEnum:  # type: ignore[valid-type]
        return incidents.deadline_status(root)

    @strawberry.field(
        description="Hours left to notify the authority, to a tenth; negative once overdue, "
        "null once notified."
    )
    def hours_until_authority_deadline(self, root: SecurityIncident) -> float | None:
        return incidents.hours_until_deadline(root)


@strawberry.type(name="SecurityIncidentConnection", description="A page of security incidents.")
class SecurityIncidentConnection(CountedConnection[SecurityIncidentType]):
    pass


def _of_incident(root: AffectedUser, info: Info, read: Any) -> Any:
    """A value of the notice's incident. The notice is its owner's, behind its own row rule,
    and shows them what the incident's record says; the incident row itself is never
    handed out."""
    incident = now_or_later(info.context.loaders.rows(SecurityIncident), root.incident_id)
    return then(incident, lambda found: None if found is None else read(found))


@strawberry.type(
    name="SecurityNotice",
    description="A security incident that concerned you, of which you were told; yours alone.",
)
class SecurityNoticeType(ModelNode):
    model = AffectedUser

    id: relay.NodeID[int]
    notified_at: datetime | None = registry_field(
        AffectedUser, "notified_at", "When you were told, in the app and by email."
    )

    @strawberry.field(description="What happened, in general terms.")
    def summary(self, root: AffectedUser, info: Info) -> str | None:
        return _of_incident(root, info, lambda found: found.summary)

    @strawberry.field(description="The categories of your personal data it concerned.")
    def categories(self, root: AffectedUser, info: Info) -> list[DataCategoryEnum] | None:  # type: ignore[valid-type]
        return _of_incident(root, info, lambda found: _categories(found.categories))

    @strawberry.field(description="When the incident was detected.")
    def detected_at(self, root: AffectedUser, info: Info) -> datetime | None:
        return _of_incident(root, info, lambda found: found.detected_at)


@strawberry.type(name="SecurityNoticeConnection", description="A page of security notices.")
class SecurityNoticeConnection(CountedConnection[SecurityNoticeType]):
    pass


@strawberry.type
class UserIncidentFields:
    """Incident fields of the User type: the user's own notices."""

    @strawberry.field(
        description="The security incidents that concerned you and of which you were told, "
        "newest first; the user's own only.",
        extensions=[rows_of(AffectedUser)],
    )
    async def security_notices(
        self,
        root: User,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> SecurityNoticeConnection | None:
        return await SecurityNoticeConnection.resolve_connection(
            incidents.notices_of(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

"""Incident mutations (staff, SECURITY): thin wrappers over ``services.incidents``."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from resolvers.base import Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.incidents.types import AffectedUsersQueryEnum, SecurityIncidentType
from resolvers.permissions import DataCategoryEnum
from services import incidents

SECURITY = staff(StaffPermission.SECURITY)


@strawberry.input(description="People an incident concerned, found by a query.")
class AffectedUsersQueryInput:
    kind: AffectedUsersQueryEnum = strawberry.field(  # type: ignore[valid-type]
        description="Which query."
    )
    start: datetime | None = strawberry.field(
        default=None, name="from", description="SESSIONS_IN_WINDOW: the window's start."
    )
    end: datetime | None = strawberry.field(
        default=None, name="to", description="SESSIONS_IN_WINDOW: the window's end."
    )


@strawberry.input(
    description="A security incident to record; refused whole when any of it is wrong."
)
class RecordSecurityIncidentInput:
    summary: str = strawberry.field(
        description="What happened, in general terms: the people it concerned read it, so it "
        "names nobody."
    )
    detected_at: datetime = strawberry.field(
        description="When you became aware of it, with its UTC offset; not in the future."
    )
    categories: list[DataCategoryEnum] = strawberry.field(  # type: ignore[valid-type]
        description="The categories of personal data it concerned; at least one."
    )
    affected_user_ids: list[relay.GlobalID] = strawberry.field(
        default_factory=list, description="People it concerned, by their User ID."
    )
    affected_users_query: AffectedUsersQueryInput | None = strawberry.field(
        default=None, description="People it concerned, found by a query; added to the ids."
    )


@strawberry.type(description="The incident recorded, or why it was refused.")
class RecordSecurityIncidentPayload(Payload):
    incident: SecurityIncidentType | None = strawberry.field(
        default=None, description="The incident recorded."
    )


@strawberry.input(description="When the supervisory authority was notified of an incident.")
class MarkAuthorityNotifiedInput:
    incident_id: relay.GlobalID = strawberry.field(description="The incident.")
    notified_at: datetime | None = strawberry.field(
        default=None, description="When it was notified, with its UTC offset; now if left out."
    )
    delay_reason: str | None = strawberry.field(
        default=None,
        description="Why it was later than the 72 hours; required then (GDPR Art. 33(1)).",
    )


@strawberry.type(description="The incident with its authority notification, or why it was refused.")
class MarkAuthorityNotifiedPayload(Payload):
    incident: SecurityIncidentType | None = strawberry.field(
        default=None, description="The incident, with its deadline shown as met or missed."
    )


@strawberry.input(description="The incident whose affected users to tell.")
class NotifyAffectedUsersInput:
    incident_id: relay.GlobalID = strawberry.field(description="The incident.")


@strawberry.type(description="The incident with how many have been told, or why nothing was sent.")
class NotifyAffectedUsersPayload(Payload):
    incident: SecurityIncidentType | None = strawberry.field(
        default=None, description="The incident, with how many have been told."
    )


@strawberry.type
class IncidentMutations:
    @mutation(
        description="Record a security incident (staff, SECURITY): what happened, when it was "
        "detected, the categories of personal data and the people it concerned. Its deadline "
        "to notify the supervisory authority is detectedAt + 72 h. Audited.",
        guard=SECURITY,
    )
    async def record_security_incident(
        self, info: Info, actor: User, input: RecordSecurityIncidentInput
    ) -> RecordSecurityIncidentPayload:
        found_by = input.affected_users_query
        incident = await incidents.record_incident(
            actor,
            summary=input.summary,
            detected_at=input.detected_at,
            categories=input.categories,
            user_ids=[
                row_id(user_id, "User", field="affectedUserIds")
                for user_id in input.affected_user_ids
            ],
            query=None
            if found_by is None
            else incidents.UserQuery(found_by.kind, found_by.start, found_by.end),
            client=info.context.client,
        )
        return RecordSecurityIncidentPayload(incident=incident)  # type: ignore[arg-type]

    @mutation(
        description="Record that the supervisory authority was notified of an incident "
        "(staff, SECURITY); once, with the reasons for the delay after the 72 hours. Audited.",
        guard=SECURITY,
    )
    async def mark_authority_notified(
        self, info: Info, actor: User, input: MarkAuthorityNotifiedInput
    ) -> MarkAuthorityNotifiedPayload:
        incident = await incidents.mark_authority_notified(
            actor,
            row_id(input.incident_id, "SecurityIncident", field="incidentId"),
            notified_at=input.notified_at,
            delay_reason=input.delay_reason,
            client=info.context.client,
        )
        return MarkAuthorityNotifiedPayload(incident=incident)  # type: ignore[arg-type]

    @mutation(
        description="Tell everyone an incident concerned (staff, SECURITY): one notification "
        "and one email each, naming the categories of their data it concerned and what to do. "
        "Calling it again, or after it stopped half way, tells only those not told yet. "
        "Audited with the counts.",
        guard=SECURITY,
    )
    async def notify_affected_users(
        self, info: Info, actor: User, input: NotifyAffectedUsersInput
    ) -> NotifyAffectedUsersPayload:
        context = info.context
        incident = await incidents.notify_affected_users(
            context.runtime,
            actor,
            row_id(input.incident_id, "SecurityIncident", field="incidentId"),
            context.client,
        )
        return NotifyAffectedUsersPayload(incident=incident)  # type: ignore[arg-type]

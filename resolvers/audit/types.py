"""GraphQL types of the audit log. An entry names people by their account's ID, and an erased
account only by its pseudonym."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.relay import to_base64
from strawberry.scalars import JSON

from models.audit import AuditAction, AuditEntry
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.loaders import now_or_later, then
from resolvers.nodes import ModelNode
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field

A = AuditAction
AuditActionEnum = described_enum(
    AuditAction,
    name="AuditAction",
    description="What an audit-log entry records.",
    values={
        A.PII_READ: "Staff read someone's personal fields (detail: which).",
        A.SIGN_UP: "An account was created.",
        A.LOGIN: "A log-in succeeded.",
        A.LOGIN_FAILED: "A log-in failed.",
        A.LOGOUT: "A session was ended by its user.",
        A.SESSIONS_REVOKED: "Sessions were revoked (detail: how many, why).",
        A.PASSWORD_CHANGED: "A password was changed.",
        A.PASSWORD_RESET: "A password was reset by a mailed token.",
        A.EMAIL_VERIFIED: "An address was confirmed.",
        A.BILLING_LOOKUP: "Staff looked up someone's billing history.",
        A.PAYMENT_REFUNDED: "Staff refunded a payment (detail: which, why).",
        A.DELETION_REQUESTED: "An account's deletion was asked for.",
        A.DELETION_CONFIRMED: "An account's deletion was confirmed: it is deactivated.",
        A.DELETION_CANCELLED: "An account's deletion was cancelled.",
        A.ACCOUNT_ERASED: "An account's personal data was erased.",
        A.RETAINED_DATA_PURGED: "The records the law kept of an erased account were deleted.",
        A.LEGAL_HOLD_PLACED: "Legal staff placed a hold on someone's data.",
        A.LEGAL_HOLD_RELEASED: "Legal staff released a hold.",
        A.MENTOR_PROFILE_CLOSED: "A mentor closed their profile.",
        A.DATA_EXPORT_REQUESTED: "Someone asked for a copy of their data.",
        A.DATA_EXPORT_BUILT: "A copy of someone's data was built.",
        A.DATA_EXPORT_DOWNLOADED: "A copy of someone's data was downloaded.",
        A.DATA_SHARED_WITH_PARTNER: "Data was shared with an advertising partner, with consent "
        "(detail: partner, fields).",
        A.CONSENT_CHANGED: "A consent was granted or withdrawn (detail: purpose, choice, source).",
        A.USER_DEACTIVATED: "Staff deactivated an account (detail: the reason).",
        A.USER_REACTIVATED: "Staff reactivated an account.",
        A.STAFF_PERMISSION_GRANTED: "A staff permission was given (detail: which).",
        A.STAFF_PERMISSION_REVOKED: "A staff permission was taken away (detail: which).",
        A.SECURITY_INCIDENT_RECORDED: "Security staff recorded a breach (detail: the incident, "
        "its categories, how many people it concerned).",
        A.INCIDENT_AUTHORITY_NOTIFIED: "Security staff recorded that the authority was told of "
        "an incident.",
        A.SESSION_REVOKED: "A user ended one of their sessions from their list of sessions.",
        A.SECURITY_EVENT: "Abuse seen across accounts, such as credential stuffing from one "
        "network (detail: the event).",
        A.POLICY_PUBLISHED: "Staff published a version of the privacy policy (detail: which, "
        "whether material).",
        A.LEGAL_DISCLOSURE_REQUESTED: "Legal staff asked for a disclosure the law requires "
        "(detail: the reference, authority and categories).",
        A.LEGAL_DISCLOSURE_BUILT: "A legal disclosure's package was built.",
        A.LEGAL_DISCLOSURE_DOWNLOADED: "A legal disclosure's package was downloaded, once, by "
        "who asked for it.",
        A.SECURITY_INCIDENT_NOTIFIED: "The people an incident concerned were told (detail: how "
        "many).",
        A.SOCIAL_ACCOUNT_LINKED: "A third-party login provider account was linked (detail: "
        "the provider).",
        A.SOCIAL_ACCOUNT_UNLINKED: "A linked provider account was unlinked (detail: the provider).",
        A.PASSWORD_SET: "An account made by a provider got its first password.",
        A.PARTNER_APP_CREATED: "Staff registered a partner app (detail: its scopes).",
        A.PARTNER_APP_REVOKED: "Staff revoked a partner app: its keys and grants stopped.",
        A.PARTNER_KEY_ISSUED: "A partner app got a new API key (detail: the key, and when a "
        "rotation ends the old keys).",
        A.PARTNER_KEY_REVOKED: "Staff revoked one of a partner app's API keys.",
        A.PARTNER_GRANT_GIVEN: "A user let a partner app act for them (detail: the scopes).",
        A.PARTNER_TOKEN_ISSUED: "A partner app exchanged a user's authorization code for a token.",
        A.PARTNER_GRANT_REVOKED: "A user took back a partner app's right to act for them.",
        A.PARTNER_MUTATION: "A partner app called a mutation (detail: which), for the user it "
        "acts for if any.",
    },
)


@strawberry.type(
    name="AuditParty",
    description="Who acted, or whom an entry is about: an account's ID, or once the account is "
    "erased, only the pseudonym that replaced it.",
)
class AuditParty:
    user_id: strawberry.ID | None = strawberry.field(
        description="The account's global User ID; null once the account is erased."
    )
    pseudonym: str | None = strawberry.field(
        description="The erased account's pseudonym; null while it is not erased."
    )

    @classmethod
    def of(cls, user_id: int, pseudonym: str | None) -> AuditParty:
        if pseudonym is not None:
            return cls(user_id=None, pseudonym=pseudonym)
        return cls(user_id=strawberry.ID(to_base64("User", user_id)), pseudonym=None)


def _party(info: Info, user_id: int | None) -> Any:
    if user_id is None:
        return None
    pseudonym = now_or_later(info.context.loaders.erased_pseudonyms, user_id)
    return then(pseudonym, lambda found: AuditParty.of(user_id, found))


@strawberry.type(
    name="AuditLogEntry",
    description="One audited event: staff access to personal data, a security event, a "
    "change of consent, an export, a deletion. Its detail names fields and reasons, never "
    "personal values.",
)
class AuditLogEntryType(ModelNode):
    model = AuditEntry

    id: relay.NodeID[int]
    action: AuditActionEnum = strawberry.field(  # type: ignore[valid-type]
        description="What happened."
    )
    detail: JSON = strawberry.field(
        description="What else the entry records (fields read, reasons, ids of what it is "
        "about), as a JSON object; never a personal value."
    )
    ip_prefix: str | None = registry_field(
        AuditEntry,
        "ip_prefix",
        "The network the request came from (/24 or /48), never the full address; each staff "
        "read of someone else's is itself audited.",
    )
    request_id: str | None = strawberry.field(description="The request it happened in.")
    created_at: datetime = strawberry.field(description="When it happened.")

    @strawberry.field(description="Who did it; null for the platform itself or a stranger.")
    def actor(self, root: AuditEntry, info: Info) -> AuditParty | None:
        return _party(info, root.actor_id)

    @strawberry.field(
        description="The partner app that acted or that the entry is about; null for others."
    )
    def partner_app_id(self, root: AuditEntry) -> strawberry.ID | None:
        if root.partner_app_id is None:
            return None
        return strawberry.ID(to_base64("PartnerApp", root.partner_app_id))

    @strawberry.field(description="Whom it is about; null when it is about nobody known.")
    def subject(self, root: AuditEntry, info: Info) -> AuditParty | None:
        return _party(info, root.subject_id)


@strawberry.type(name="AuditLogEntryConnection", description="A page of the audit log.")
class AuditLogEntryConnection(CountedConnection[AuditLogEntryType]):
    pass

"""The personal-data registry: where personal data lives, who may read it, how it leaves.

Every field of every model is either declared here as personal data (with its category,
audience, export and erasure rule) or named as not personal. GraphQL field visibility, the
data export and erasure all read this one description, and a test fails on a field that is
in neither list. Policy: "personal information is used only to improve the site and to
provide the services" — a field nobody classified has no declared use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tortoise.models import Model

from models.accounts import EmailToken, Session, StaffPermission, User
from models.audit import AuditEntry
from models.outbox import OutboxEmail


class Category(StrEnum):
    CONTACT = "CONTACT"
    IDENTITY = "IDENTITY"
    FINANCIAL = "FINANCIAL"
    DEVICE_NETWORK = "DEVICE_NETWORK"
    BEHAVIOUR = "BEHAVIOUR"
    CONTENT = "CONTENT"
    PREFERENCES = "PREFERENCES"
    CREDENTIAL = "CREDENTIAL"


class Audience(StrEnum):
    """Who may read a field, besides staff holding the field's staff permission."""

    OWNER = "OWNER"
    COUNTERPARTY = "COUNTERPARTY"
    PUBLIC_PROFILE = "PUBLIC_PROFILE"
    PUBLIC = "PUBLIC"


class Export(StrEnum):
    VALUE = "VALUE"
    FILE = "FILE"
    OMIT = "OMIT"


class Erasure(StrEnum):
    """What erasure does to the field: delete its row, clear it, replace it, or keep it for law."""

    DELETE = "DELETE"
    NULL = "NULL"
    TOMBSTONE = "TOMBSTONE"
    PSEUDONYMIZE = "PSEUDONYMIZE"
    RETAIN_FOR_LAW = "RETAIN_FOR_LAW"


@dataclass(frozen=True)
class PersonalField:
    category: Category
    audience: frozenset[Audience]
    erasure: Erasure
    staff_permission: StaffPermission | None = StaffPermission.VIEW_PII
    export: Export = Export.VALUE


@dataclass(frozen=True)
class ModelPrivacy:
    """How one model holds personal data. ``owner`` names the attribute with the user's id."""

    owner: str
    personal: Mapping[str, PersonalField]
    not_personal: frozenset[str] = field(default_factory=frozenset)


def _audience(*members: Audience) -> frozenset[Audience]:
    return frozenset(members)


OWNER_ONLY = _audience(Audience.OWNER)
PROFILE = _audience(Audience.OWNER, Audience.COUNTERPARTY, Audience.PUBLIC_PROFILE)
NOBODY: frozenset[Audience] = frozenset()

_credential = PersonalField(
    Category.CREDENTIAL, NOBODY, Erasure.DELETE, staff_permission=None, export=Export.OMIT
)
_device = PersonalField(
    Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.DELETE, StaffPermission.SECURITY
)

REGISTRY: dict[type[Model], ModelPrivacy] = {
    User: ModelPrivacy(
        owner="id",
        personal={
            "email": PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.TOMBSTONE),
            "email_verified": PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.NULL),
            "password_hash": _credential,
            "name": PersonalField(Category.IDENTITY, PROFILE, Erasure.NULL),
            "photo_key": PersonalField(
                Category.IDENTITY, PROFILE, Erasure.DELETE, export=Export.FILE
            ),
            "timezone": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
            "language": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
            "bio": PersonalField(Category.CONTENT, PROFILE, Erasure.NULL),
            "expertise": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
        },
        not_personal=frozenset(
            {"id", "staff_permissions", "is_active", "created_at", "updated_at"}
        ),
    ),
    Session: ModelPrivacy(
        owner="user_id",
        personal={"token_hash": _credential, "ip_prefix": _device, "user_agent": _device},
        not_personal=frozenset({"id", "user", "created_at", "expires_at", "revoked_at"}),
    ),
    EmailToken: ModelPrivacy(
        owner="user_id",
        personal={"token_hash": _credential},
        not_personal=frozenset({"id", "user", "purpose", "created_at", "expires_at", "used_at"}),
    ),
    AuditEntry: ModelPrivacy(
        owner="subject_id",
        personal={
            "ip_prefix": PersonalField(
                Category.DEVICE_NETWORK,
                OWNER_ONLY,
                Erasure.RETAIN_FOR_LAW,
                StaffPermission.SECURITY,
            ),
        },
        # actor/subject point at user rows, which erasure tombstones: the log stays pseudonymous.
        not_personal=frozenset(
            {"id", "action", "actor", "subject", "detail", "request_id", "created_at"}
        ),
    ),
    OutboxEmail: ModelPrivacy(
        owner="recipient_id",
        personal={
            "to_address": PersonalField(
                Category.CONTACT, NOBODY, Erasure.DELETE, export=Export.OMIT
            ),
            "body": PersonalField(Category.CONTENT, NOBODY, Erasure.DELETE, export=Export.OMIT),
        },
        not_personal=frozenset(
            {
                "id",
                "recipient",
                "subject",
                "status",
                "attempts",
                "next_attempt_at",
                "last_error",
                "created_at",
                "sent_at",
            }
        ),
    ),
}


def privacy_of(model: type[Model]) -> ModelPrivacy:
    try:
        return REGISTRY[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not in the personal-data registry") from None


def personal_field(model: type[Model], name: str) -> PersonalField:
    try:
        return privacy_of(model).personal[name]
    except KeyError:
        raise LookupError(f"{model.__name__}.{name} is not declared personal data") from None


def owner_id(row: Model) -> int | None:
    value = getattr(row, privacy_of(type(row)).owner)
    return int(value) if value is not None else None

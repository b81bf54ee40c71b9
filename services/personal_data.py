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
from models.marketplace import (
    Job,
    MentorProfile,
    MentorTag,
    Post,
    PostLike,
    PostTag,
    Testimonial,
    TestimonialPermissionEvent,
)
from models.outbox import OutboxEmail
from models.payments import (
    ConnectedAccount,
    Payment,
    PaymentMethod,
    StripeCustomer,
    WebhookEvent,
)


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
PUBLIC = _audience(Audience.PUBLIC)
# The two parties of a job: the owner and their counterparty.
PARTIES = _audience(Audience.OWNER, Audience.COUNTERPARTY)

_credential = PersonalField(
    Category.CREDENTIAL, NOBODY, Erasure.DELETE, staff_permission=None, export=Export.OMIT
)
_device = PersonalField(
    Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.DELETE, StaffPermission.SECURITY
)

# Payment information (P2): billing rows are kept for the law, pseudonymized with their user.
# Staff reach them with MANAGE_PAYMENTS only, and each such read is audited (P13).
_billing = PersonalField(
    Category.FINANCIAL, OWNER_ONLY, Erasure.RETAIN_FOR_LAW, StaffPermission.MANAGE_PAYMENTS
)
_stripe_reference = PersonalField(
    Category.FINANCIAL, NOBODY, Erasure.RETAIN_FOR_LAW, StaffPermission.MANAGE_PAYMENTS
)
# A saved card identifies its holder to its holder alone: no staff permission opens it.
_card = PersonalField(Category.FINANCIAL, OWNER_ONLY, Erasure.DELETE, staff_permission=None)

_PAYMENTS: dict[type[Model], ModelPrivacy] = {
    StripeCustomer: ModelPrivacy(
        owner="user_id",
        personal={"stripe_customer_id": _stripe_reference},
        not_personal=frozenset({"id", "user", "setup_intents_started", "created_at"}),
    ),
    Payment: ModelPrivacy(
        owner="client_id",
        personal={
            **{
                name: _billing
                for name in (
                    "amount_cents",
                    "currency",
                    "status",
                    "refunded_cents",
                    "failure_code",
                    "failure_reason",
                    "dispute_status",
                    "paid_at",
                )
            },
            **{
                name: _stripe_reference
                for name in ("stripe_payment_intent_id", "stripe_charge_id", "stripe_dispute_id")
            },
        },
        # The platform's fee is the platform's figure, not the client's.
        not_personal=frozenset(
            {
                "id",
                "job",
                "client",
                "platform_fee_cents",
                "refund_requests",
                "created_at",
                "updated_at",
            }
        ),
    ),
    PaymentMethod: ModelPrivacy(
        owner="user_id",
        personal={
            "brand": _card,
            "last4": _card,
            "exp_month": _card,
            "exp_year": _card,
            "stripe_payment_method_id": PersonalField(
                Category.FINANCIAL, NOBODY, Erasure.DELETE, staff_permission=None
            ),
        },
        not_personal=frozenset({"id", "user", "created_at"}),
    ),
    ConnectedAccount: ModelPrivacy(
        owner="user_id",
        personal={
            "stripe_account_id": _stripe_reference,
            "charges_enabled": _billing,
            "payouts_enabled": _billing,
            "details_submitted": _billing,
        },
        not_personal=frozenset(
            {"id", "user", "onboarding_links_created", "state_at", "created_at", "updated_at"}
        ),
    ),
    # Stripe's copy of an object may name its holder; nobody reads it back through the API.
    WebhookEvent: ModelPrivacy(
        owner="user_id",
        personal={
            "payload": PersonalField(
                Category.FINANCIAL,
                NOBODY,
                Erasure.DELETE,
                staff_permission=None,
                export=Export.OMIT,
            )
        },
        not_personal=frozenset(
            {"id", "stripe_event_id", "type", "user", "received_at", "processed_at"}
        ),
    ),
}

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
    **{
        MentorProfile: ModelPrivacy(
            owner="user_id",
            personal={
                name: PersonalField(category, PUBLIC, Erasure.DELETE)
                for name, category in (
                    ("headline", Category.CONTENT),
                    ("bio", Category.CONTENT),
                    ("expertise", Category.PREFERENCES),
                    ("languages", Category.PREFERENCES),
                    ("timezone", Category.PREFERENCES),
                )
            },
            # The hourly rate is a public price, not the mentor's financial data.
            not_personal=frozenset(
                {"id", "user", "hourly_rate_cents", "currency", "created_at", "updated_at"}
            ),
        ),
        MentorTag: ModelPrivacy(
            owner="mentor_id",
            personal={"value": PersonalField(Category.PREFERENCES, PUBLIC, Erasure.DELETE)},
            not_personal=frozenset({"id", "mentor", "kind"}),
        ),
        Post: ModelPrivacy(
            owner="author_id",
            # Drafts are the author's alone: services.posts hides them before any field is read.
            personal={
                name: PersonalField(Category.CONTENT, PUBLIC, Erasure.DELETE)
                for name in ("title", "body", "tags")
            },
            not_personal=frozenset(
                {
                    "id",
                    "author",
                    "status",
                    "like_count",
                    "view_count",
                    "published_at",
                    "created_at",
                    "updated_at",
                }
            ),
        ),
        # A copy of a published post's tags, erased with the post.
        PostTag: ModelPrivacy(
            owner="post_id", personal={}, not_personal=frozenset({"id", "post", "value"})
        ),
        PostLike: ModelPrivacy(
            owner="user_id",
            personal={"post": PersonalField(Category.BEHAVIOUR, OWNER_ONLY, Erasure.DELETE)},
            not_personal=frozenset({"id", "user", "created_at"}),
        ),
        Job: ModelPrivacy(
            owner="client_id",
            personal={
                "description": PersonalField(
                    Category.CONTENT, PARTIES, Erasure.TOMBSTONE, StaffPermission.MANAGE_PAYMENTS
                ),
                "price_cents": PersonalField(
                    Category.FINANCIAL,
                    PARTIES,
                    Erasure.RETAIN_FOR_LAW,
                    StaffPermission.MANAGE_PAYMENTS,
                ),
                "currency": PersonalField(
                    Category.FINANCIAL,
                    PARTIES,
                    Erasure.RETAIN_FOR_LAW,
                    StaffPermission.MANAGE_PAYMENTS,
                ),
            },
            not_personal=frozenset(
                {
                    "id",
                    "client",
                    "mentor",
                    "status",
                    "status_before_dispute",
                    "created_at",
                    "updated_at",
                    "accepted_at",
                    "paid_at",
                    "delivered_at",
                    "closed_at",
                }
            ),
        ),
        # Private to author, mentor and staff; the author's PROFILE grant publishes it through
        # services.testimonials, naming the author only as the chosen attribution allows.
        Testimonial: ModelPrivacy(
            owner="author_id",
            personal={
                name: PersonalField(
                    Category.CONTENT, PARTIES, Erasure.DELETE, StaffPermission.MODERATE_CONTENT
                )
                for name in ("rating", "text")
            },
            not_personal=frozenset(
                {
                    "id",
                    "job",
                    "author",
                    "mentor",
                    "profile_attribution",
                    "marketing_attribution",
                    "hidden_at",
                    "featured_at",
                    "created_at",
                    "updated_at",
                }
            ),
        ),
        # Proof of consent to display a testimonial.
        TestimonialPermissionEvent: ModelPrivacy(
            owner="author_id",
            personal={
                name: PersonalField(Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE)
                for name in ("scope", "change", "attribution")
            },
            not_personal=frozenset({"id", "testimonial", "author", "created_at"}),
        ),
    },
    **_PAYMENTS,
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

"""The personal-data registry: where personal data lives, who may see it, how it leaves.

For every model: who owns its rows, who may see a row at all (its row rule), and for every
field whether it is personal data (category, audience, export, erasure), merely restricted,
or not personal. GraphQL visibility, the services' reads, the data export and erasure all read
this one description, and a test fails on a field or model it does not classify. Policy:
"personal information is used only to improve the site and to provide the services" — a field
nobody classified has no declared use.
"""

from __future__ import annotations

from tortoise.models import Model

from models.accounts import EmailToken, Session, StaffPermission, User
from models.audit import AuditEntry
from models.deletion import AccountDeletion, LegalHold
from models.disclosures import LegalDisclosure
from models.exports import DataExport
from models.incidents import AffectedUser, SecurityIncident
from models.interactions import DailyInteractionCount, Interaction
from models.marketing import CampaignRecipient, MarketingCampaign, PartnerDisclosure
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
from models.notifications import Notification, NotificationPreference
from models.outbox import OutboxEmail
from models.partner_apps import PartnerApp, PartnerGrant, PartnerKey
from models.payments import (
    ConnectedAccount,
    Payment,
    PaymentMethod,
    StripeCustomer,
    WebhookEvent,
)
from models.privacy import (
    ConsentRecord,
    PolicyAcceptance,
    PolicyAnnouncement,
    PrivacyPolicy,
    PrivacyQuestion,
    Visitor,
)
from models.security import SecurityEvent
from models.social import (
    SocialAccount,
    SocialAssociation,
    SocialFlow,
    SocialImport,
    SocialLoginCode,
    SocialNonce,
)
from services.access.policy import (
    NOBODY,
    OWNER_ONLY,
    PARTIES,
    PROFILE,
    PUBLIC,
    Audience,
    Category,
    Erasure,
    Export,
    FieldRule,
    ModelPrivacy,
    PersonalField,
    ReadRule,
    RowRule,
    audience,
)
from services.access.states import (
    DISCLOSURE_TOLD,
    MENTOR_ACTIVE,
    NOT_LEGAL_PROCESS,
    POST_PUBLISHED,
    SUCCESS_STORY,
    TESTIMONIAL_DISPLAYED,
    TESTIMONIAL_NAMED_IN_FULL,
    USER_ACTIVE,
)

P = StaffPermission
# Rows the API never shows as such: read only by the services that keep them.
NEVER_SHOWN = RowRule(NOBODY)

_credential = PersonalField(
    Category.CREDENTIAL, NOBODY, Erasure.DELETE, staff_permission=None, export=Export.OMIT
)
_device = PersonalField(Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.DELETE, P.SECURITY)

_ACCOUNTS: dict[type[Model], ModelPrivacy] = {
    # Clients are private: themselves, their counterparties and profile staff see them.
    # P13, "we answer queries about your account ... for administration": account staff
    # (MANAGE_USERS) reach every account, deactivated ones too, to reactivate them; they read
    # its state and staff permissions, and its personal fields only with VIEW_PII.
    User: ModelPrivacy(
        owner="id",
        rows=RowRule(
            audience(Audience.OWNER, Audience.PUBLIC_PROFILE, Audience.COUNTERPARTY),
            staff=frozenset({P.VIEW_PII, P.MANAGE_USERS}),
            live=USER_ACTIVE,
            staff_in_every_state=frozenset({P.MANAGE_USERS}),
        ),
        personal={
            "email": PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.TOMBSTONE),
            "email_verified": PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.NULL),
            "password_hash": _credential,
            "name": PersonalField(Category.IDENTITY, PROFILE, Erasure.NULL),
            "photo_key": PersonalField(
                Category.IDENTITY, PROFILE, Erasure.DELETE, export=Export.FILE, file=True
            ),
            "timezone": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
            "language": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
            "bio": PersonalField(Category.CONTENT, PROFILE, Erasure.NULL),
            "expertise": PersonalField(Category.PREFERENCES, PROFILE, Erasure.NULL),
        },
        restricted={
            name: FieldRule(OWNER_ONLY, P.MANAGE_USERS)
            for name in ("staff_permissions", "is_active", "deactivated_at", "deactivation_reason")
        },
        not_personal=frozenset({"id", "created_at", "updated_at"}),
    ),
    Session: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY, staff=frozenset({P.SECURITY})),
        personal={"token_hash": _credential, "ip_prefix": _device, "user_agent": _device},
        not_personal=frozenset({"id", "user", "created_at", "expires_at", "revoked_at"}),
    ),
    EmailToken: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
        personal={"token_hash": _credential},
        not_personal=frozenset({"id", "user", "purpose", "created_at", "expires_at", "used_at"}),
    ),
    AuditEntry: ModelPrivacy(
        owner="subject_id",
        rows=RowRule(NOBODY, staff=frozenset({P.SECURITY})),
        personal={
            # The event stays, the network and browser it came from go with the person.
            name: PersonalField(Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.NULL, P.SECURITY)
            for name in ("ip_prefix", "browser_family")
        },
        # actor/subject point at user rows, which erasure tombstones: the log stays pseudonymous.
        not_personal=frozenset(
            {
                "id",
                "action",
                "actor",
                "subject",
                "partner_app",
                "detail",
                "request_id",
                "created_at",
            }
        ),
        exported_rows=NOT_LEGAL_PROCESS,
    ),
    OutboxEmail: ModelPrivacy(
        owner="recipient_id",
        rows=NEVER_SHOWN,
        personal={
            "to_address": PersonalField(
                Category.CONTACT, NOBODY, Erasure.DELETE, export=Export.OMIT
            ),
            "body": PersonalField(Category.CONTENT, NOBODY, Erasure.DELETE, export=Export.OMIT),
            # A marketing mail's List-Unsubscribe link carries the person's signed token; a
            # privacy question's mail to support, the asker's Reply-To address.
            "headers": _credential,
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

# A user's own log-ins and failed attempts on their account (P15, P19): the audit rows about
# them, shown to them alone as their login history; the log itself stays SECURITY's.
LOGIN_HISTORY = RowRule(OWNER_ONLY)

_MARKETPLACE: dict[type[Model], ModelPrivacy] = {
    # P3: "timezone, language, expertise ... public for mentors".
    MentorProfile: ModelPrivacy(
        owner="user_id",
        rows=RowRule(PUBLIC, live=MENTOR_ACTIVE),
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
    # Read only inside mentor searches, which show mentor profiles, never tags as rows.
    MentorTag: ModelPrivacy(
        owner="mentor_id",
        rows=NEVER_SHOWN,
        personal={"value": PersonalField(Category.PREFERENCES, PUBLIC, Erasure.DELETE)},
        not_personal=frozenset({"id", "mentor", "kind"}),
    ),
    # A draft is its author's alone: for anyone else it does not exist.
    Post: ModelPrivacy(
        owner="author_id",
        rows=RowRule(audience(Audience.OWNER, Audience.PUBLISHED), published=POST_PUBLISHED),
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
    # A copy of a post's tags (drafts' too), read only inside post searches; erased with it.
    # No user's row of its own (its post is): an owner names a user, and a post id is none.
    PostTag: ModelPrivacy(
        owner=None,
        rows=NEVER_SHOWN,
        personal={},
        not_personal=frozenset({"id", "post", "value"}),
    ),
    # P4: "posts liked" are interaction records, their owner's alone.
    PostLike: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"post": PersonalField(Category.BEHAVIOUR, OWNER_ONLY, Erasure.DELETE)},
        not_personal=frozenset({"id", "user", "created_at"}),
    ),
    Job: ModelPrivacy(
        owner="client_id",
        counterparty="mentor_id",
        rows=RowRule(PARTIES, staff=frozenset({P.MANAGE_PAYMENTS, P.MODERATE_CONTENT})),
        personal={
            "description": PersonalField(
                Category.CONTENT, PARTIES, Erasure.TOMBSTONE, P.MANAGE_PAYMENTS
            ),
            **{
                name: PersonalField(
                    Category.FINANCIAL, PARTIES, Erasure.RETAIN_FOR_LAW, P.MANAGE_PAYMENTS
                )
                for name in ("price_cents", "currency")
            },
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
    # P14: private to author, mentor and moderators until the author's PROFILE grant displays
    # it, naming the author only as the chosen attribution allows.
    Testimonial: ModelPrivacy(
        owner="author_id",
        counterparty="mentor_id",
        rows=RowRule(
            audience(Audience.OWNER, Audience.COUNTERPARTY, Audience.PUBLISHED),
            staff=frozenset({P.MODERATE_CONTENT}),
            published=TESTIMONIAL_DISPLAYED,
        ),
        personal={
            **{
                name: PersonalField(
                    Category.CONTENT,
                    audience(Audience.OWNER, Audience.COUNTERPARTY, Audience.PUBLISHED),
                    Erasure.DELETE,
                    P.MODERATE_CONTENT,
                )
                for name in ("rating", "text")
            },
            # The author's standing choice of how to be named: their consent, as the events
            # below record it.
            **{
                name: PersonalField(
                    Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE, P.MODERATE_CONTENT
                )
                for name in ("profile_attribution", "marketing_attribution")
            },
        },
        restricted={
            # Who wrote it: public only under the author's full name, never to the mentor
            # of an anonymous one.
            "author": FieldRule(
                audience(Audience.OWNER, Audience.PUBLISHED),
                P.MODERATE_CONTENT,
                published=TESTIMONIAL_NAMED_IN_FULL,
            ),
            "hidden_at": FieldRule(OWNER_ONLY, P.MODERATE_CONTENT),
        },
        not_personal=frozenset({"id", "job", "mentor", "featured_at", "created_at", "updated_at"}),
        # A testimonial about a mentor whose account is erased goes with the mentor.
        counterparty_erasure=Erasure.DELETE,
    ),
    # Proof of consent to display a testimonial: its author's, and moderators' (audited).
    TestimonialPermissionEvent: ModelPrivacy(
        owner="author_id",
        rows=RowRule(OWNER_ONLY, staff=frozenset({P.MODERATE_CONTENT})),
        personal={
            name: PersonalField(
                Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE, P.MODERATE_CONTENT
            )
            for name in ("scope", "change", "attribution")
        },
        not_personal=frozenset({"id", "testimonial", "author", "created_at"}),
    ),
}

# A testimonial as a success story in marketing: its own view of the rows, with the author's
# MARKETING permission, never leading back to the testimonial itself.
SUCCESS_STORIES = RowRule(audience(Audience.PUBLISHED), published=SUCCESS_STORY)

# Payment information (P2): billing rows are kept for the law, pseudonymized with their user.
# Staff reach them with MANAGE_PAYMENTS only, and each such read is audited (P13).
_billing = PersonalField(Category.FINANCIAL, OWNER_ONLY, Erasure.RETAIN_FOR_LAW, P.MANAGE_PAYMENTS)
_stripe_reference = PersonalField(
    Category.FINANCIAL, NOBODY, Erasure.RETAIN_FOR_LAW, P.MANAGE_PAYMENTS
)
# A saved card identifies its holder to its holder alone: no staff permission opens it.
_card = PersonalField(Category.FINANCIAL, OWNER_ONLY, Erasure.DELETE, staff_permission=None)

_PAYMENTS: dict[type[Model], ModelPrivacy] = {
    # Erasure deletes the customer at Stripe, then this link to it.
    StripeCustomer: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
        personal={
            "stripe_customer_id": PersonalField(
                Category.FINANCIAL, NOBODY, Erasure.DELETE, P.MANAGE_PAYMENTS
            )
        },
        not_personal=frozenset({"id", "user", "setup_intents_started", "created_at"}),
    ),
    Payment: ModelPrivacy(
        owner="client_id",
        rows=RowRule(OWNER_ONLY, staff=frozenset({P.MANAGE_PAYMENTS})),
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
                "refund_asked_at",
                "created_at",
                "updated_at",
            }
        ),
    ),
    PaymentMethod: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
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
    # A mentor's payout account: shown to the mentor alone (their payout status). Erasure
    # unlinks it; the account itself is kept by Stripe under Stripe's own retention.
    ConnectedAccount: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "stripe_account_id": PersonalField(
                Category.FINANCIAL, NOBODY, Erasure.DELETE, P.MANAGE_PAYMENTS
            ),
            **{
                name: PersonalField(
                    Category.FINANCIAL, OWNER_ONLY, Erasure.DELETE, P.MANAGE_PAYMENTS
                )
                for name in ("charges_enabled", "payouts_enabled", "details_submitted")
            },
        },
        not_personal=frozenset(
            {"id", "user", "onboarding_links_created", "state_at", "created_at", "updated_at"}
        ),
    ),
    # Stripe's copy of an object may name its holder; nobody reads it back through the API.
    WebhookEvent: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
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

# Consent records are kept as proof of each choice, shown to their owner; LEGAL staff may
# read them into a disclosure the law requires.
_consent = PersonalField(Category.PREFERENCES, OWNER_ONLY, Erasure.RETAIN_FOR_LAW, P.LEGAL)
_remembered = PersonalField(Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE)
_accepted = PersonalField(Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE, P.LEGAL)

_PRIVACY: dict[type[Model], ModelPrivacy] = {
    # The policy's versions are nobody's data, and public. published_by points at a staff
    # account, which erasure tombstones, like the audit log; the API does not show it.
    PrivacyPolicy: ModelPrivacy(
        owner=None,
        rows=RowRule(PUBLIC),
        personal={},
        not_personal=frozenset(
            {
                "id",
                "version",
                "text",
                "summary_of_changes",
                "material",
                "effective_at",
                "published_by",
                "published_at",
            }
        ),
    ),
    # Which version a person accepted, and how: theirs alone. Erased with them, unlike consent
    # records: a consent is the lawful basis of processing done before it was withdrawn, and
    # proof of it may be owed later; an acceptance only told the person what the policy was,
    # and once their data is gone nothing is left that it concerns.
    PolicyAcceptance: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"policy": _accepted, "source": _accepted},
        not_personal=frozenset({"id", "user", "accepted_at"}),
    ),
    # How far telling everyone of a material version got: a position in the order of user
    # ids, about nobody; read only by the announcing itself.
    PolicyAnnouncement: ModelPrivacy(
        owner=None,
        rows=NEVER_SHOWN,
        personal={},
        not_personal=frozenset(
            {"id", "policy", "notified_through", "notified_count", "finished_at"}
        ),
    ),
    # A browser without an account; once it signs up or logs in, the account's.
    Visitor: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
        personal={
            "token_hash": _credential,
            "user": PersonalField(Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.NULL, P.SECURITY),
            "language": _remembered,
            "timezone": _remembered,
            "currency": _remembered,
        },
        not_personal=frozenset({"id", "created_at"}),
    ),
    ConsentRecord: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "purpose": _consent,
            "granted": _consent,
            "source": _consent,
            # The proof stays, the browser it came from goes with the person.
            "visitor": PersonalField(Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.NULL, P.LEGAL),
        },
        not_personal=frozenset({"id", "user", "policy", "decided_at"}),
    ),
    # P26: a question about the policy is its asker's, read by support in their mailbox and
    # by nobody through the API; it goes with the account (nothing in it is kept for the
    # law), or after its own retention (services.privacy_questions).
    PrivacyQuestion: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "reply_to": PersonalField(
                Category.CONTACT, OWNER_ONLY, Erasure.DELETE, staff_permission=None
            ),
            **{
                name: PersonalField(
                    Category.CONTENT, OWNER_ONLY, Erasure.DELETE, staff_permission=None
                )
                for name in ("subject", "message")
            },
        },
        # The mail it caused: deleted with it.
        not_personal=frozenset({"id", "user", "support_mail", "acknowledgement", "created_at"}),
    ),
}

# P4, P5: interactions and browser data are their owner's alone (a visitor's are nobody's to
# read), erased with the account; no staff permission opens a person's records: staff see
# the daily counts (P12).
_behaviour = PersonalField(Category.BEHAVIOUR, OWNER_ONLY, Erasure.DELETE, staff_permission=None)
_browser = PersonalField(Category.DEVICE_NETWORK, OWNER_ONLY, Erasure.DELETE, staff_permission=None)

_INTERACTIONS: dict[type[Model], ModelPrivacy] = {
    Interaction: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            **{
                name: _behaviour
                for name in ("kind", "path", "post", "duration_ms", "occurred_at", "day")
            },
            **{name: _browser for name in ("visitor", "ip_prefix", "browser_family", "os_family")},
        },
        not_personal=frozenset({"id", "user"}),
    ),
    # Counts that name nobody. Staff-only all the same: how the platform is used is ours to
    # study (P12), not a public figure, and nothing in them needs showing to anyone else.
    DailyInteractionCount: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.VIEW_ANALYTICS})),
        personal={},
        not_personal=frozenset({"id", "day", "kind", "path", "post", "browser_family", "count"}),
    ),
}

# Each share with an advertising partner is kept as proof of what went where, shown to its
# person; LEGAL staff may read it into a disclosure the law requires.
_disclosure = PersonalField(Category.IDENTITY, OWNER_ONLY, Erasure.RETAIN_FOR_LAW, P.LEGAL)

_MARKETING: dict[type[Model], ModelPrivacy] = {
    # A campaign is the platform's text, nobody's data; marketing staff see them all.
    MarketingCampaign: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.MANAGE_MARKETING})),
        personal={},
        # created_by points at a staff account, which erasure tombstones, like the audit log.
        not_personal=frozenset(
            {
                "id",
                "subject",
                "body",
                "status",
                "recipient_count",
                "created_by",
                "created_at",
                "sent_at",
            }
        ),
    ),
    # That a person was sent a campaign: theirs, read only by the sending itself.
    CampaignRecipient: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
        personal={"campaign": PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.DELETE)},
        not_personal=frozenset({"id", "user", "queued_at"}),
    ),
    PartnerDisclosure: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "partner": _disclosure,
            "purpose": _disclosure,
            "country": _disclosure,
            "fields_sent": _disclosure,
            # A keyed hash of the values sent; proof needs none of it once the person is erased.
            "fingerprint": PersonalField(
                Category.IDENTITY, NOBODY, Erasure.NULL, staff_permission=None, export=Export.OMIT
            ),
        },
        not_personal=frozenset({"id", "user", "disclosed_at"}),
    ),
}

# P10: a user's notifications and mail choices are theirs alone, no staff permission opens
# them, and they go with the user. Their references lead to rows with rules of their own.
_notified = PersonalField(Category.CONTENT, OWNER_ONLY, Erasure.DELETE, staff_permission=None)
_mail_choice = PersonalField(
    Category.PREFERENCES, OWNER_ONLY, Erasure.DELETE, staff_permission=None
)

_NOTIFICATIONS: dict[type[Model], ModelPrivacy] = {
    Notification: ModelPrivacy(
        owner="recipient_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "kind": _notified,
            "title": _notified,
            "body": _notified,
            "read_at": PersonalField(
                Category.BEHAVIOUR, OWNER_ONLY, Erasure.DELETE, staff_permission=None
            ),
        },
        not_personal=frozenset({"id", "recipient", "job", "testimonial", "payment", "created_at"}),
    ),
    NotificationPreference: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"kind": _mail_choice, "email": _mail_choice},
        not_personal=frozenset({"id", "user", "updated_at"}),
    ),
}

_DELETION: dict[type[Model], ModelPrivacy] = {
    # The request and the erasure's progress: its owner's to see; it names no personal data
    # and outlives the erasure, as the record that it happened.
    AccountDeletion: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY, staff=frozenset({P.LEGAL, P.MANAGE_USERS})),
        personal={},
        not_personal=frozenset(
            {
                "id",
                "user",
                "status",
                "requested_at",
                "confirmed_at",
                "scheduled_erasure_at",
                "cancelled_at",
                "erased_at",
                "purged_at",
                "pseudonym",
                "steps_done",
            }
        ),
    ),
    # What the law asked is LEGAL's to read; the person sees only that a hold blocks deletion.
    LegalHold: ModelPrivacy(
        owner="user_id",
        rows=RowRule(NOBODY, staff=frozenset({P.LEGAL})),
        personal={
            name: PersonalField(
                Category.CONTENT, NOBODY, Erasure.RETAIN_FOR_LAW, P.LEGAL, export=Export.OMIT
            )
            for name in ("reference", "reason", "release_reference")
        },
        not_personal=frozenset(
            {"id", "user", "placed_by", "placed_at", "released_by", "released_at"}
        ),
    ),
}

_EXPORTS: dict[type[Model], ModelPrivacy] = {
    # A copy of everything of the user's: theirs alone, its archive erased with them.
    DataExport: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={
            "file_key": PersonalField(
                Category.CONTENT,
                OWNER_ONLY,
                Erasure.DELETE,
                staff_permission=None,
                export=Export.OMIT,
                file=True,
            )
        },
        not_personal=frozenset(
            {"id", "user", "status", "requested_at", "ready_at", "expires_at", "size_bytes"}
        ),
    ),
}

# P15: an incident names nobody and is SECURITY's to read; that it concerned a person, and
# when they were told, is that person's alone (the incident's own counts outlive them).
_told = PersonalField(Category.CONTACT, OWNER_ONLY, Erasure.DELETE, staff_permission=None)

_INCIDENTS: dict[type[Model], ModelPrivacy] = {
    SecurityIncident: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.SECURITY})),
        personal={},
        # recorded_by points at a staff account, which erasure tombstones, like the audit log.
        not_personal=frozenset(
            {
                "id",
                "summary",
                "detected_at",
                "categories",
                "authority_deadline",
                "authority_notified_at",
                "authority_delay_reason",
                "affected_user_count",
                "notified_user_count",
                "notifying_since",
                "users_notified_at",
                "recorded_by",
                "created_at",
            }
        ),
    ),
    AffectedUser: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"incident": _told, "notified_at": _told},
        not_personal=frozenset({"id", "user"}),
    ),
}

_SECURITY: dict[type[Model], ModelPrivacy] = {
    # Abuse seen across accounts names no account: only the network an attack came from and
    # how many accounts it tried, the evidence SECURITY staff investigate (P15).
    SecurityEvent: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.SECURITY})),
        personal={},
        not_personal=frozenset(
            {
                "id",
                "kind",
                "ip_prefix",
                "window_start",
                "window_end",
                "account_count",
                "detected_at",
            }
        ),
    ),
}

# P11: a disclosure the law requires is LEGAL's record. Its subject sees it, through the view
# below, once it is made and unless the law forbids telling them: the authority and the
# categories, never the reference (which may name an investigation). Its columns are about
# the legal process, no value of the person's, so erasure keeps the row, pseudonymous, as the
# platform's record; the package itself goes at its download, its lifetime, or the erasure.
_LEGAL: dict[type[Model], ModelPrivacy] = {
    LegalDisclosure: ModelPrivacy(
        owner="user_id",
        rows=RowRule(NOBODY, staff=frozenset({P.LEGAL})),
        personal={
            "file_key": PersonalField(
                Category.CONTENT,
                NOBODY,
                Erasure.NULL,
                staff_permission=None,
                export=Export.OMIT,
                file=True,
            )
        },
        restricted={
            "legal_reference": FieldRule(NOBODY, P.LEGAL),
            "requested_by": FieldRule(NOBODY, P.LEGAL),
            "authority": FieldRule(OWNER_ONLY, P.LEGAL),
            "categories": FieldRule(OWNER_ONLY, P.LEGAL),
        },
        not_personal=frozenset(
            {
                "id",
                "user",
                "notify_subject",
                "status",
                "requested_at",
                "built_at",
                "expires_at",
                "downloaded_at",
                "size_bytes",
            }
        ),
        exported_rows=DISCLOSURE_TOLD,
    ),
}

# P8, P9: who a provider says the person is (its account id is personal data) and which of
# their profile values it sent: theirs alone, exported and erased with them. A login under
# way keeps only the library's state, nonces and verifiers, which name nobody, for minutes;
# an app's login code is a credential to the account.
_identity = PersonalField(Category.IDENTITY, OWNER_ONLY, Erasure.DELETE, staff_permission=None)
_SOCIAL: dict[type[Model], ModelPrivacy] = {
    SocialAccount: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"uid": _identity, "provider": _identity},
        not_personal=frozenset({"id", "user", "linked_at"}),
    ),
    SocialImport: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"provider": _identity, "field": _identity, "imported_at": _identity},
        not_personal=frozenset({"id", "user"}),
    ),
    SocialLoginCode: ModelPrivacy(
        owner="user_id",
        rows=NEVER_SHOWN,
        personal={"code_hash": _credential},
        not_personal=frozenset({"id", "user", "provider", "expires_at", "used_at"}),
    ),
    SocialFlow: ModelPrivacy(
        owner=None,
        rows=NEVER_SHOWN,
        personal={},
        not_personal=frozenset({"id", "key_hash", "data", "expires_at"}),
    ),
    SocialNonce: ModelPrivacy(
        owner=None,
        rows=NEVER_SHOWN,
        personal={},
        not_personal=frozenset({"id", "server_url", "timestamp", "salt"}),
    ),
    SocialAssociation: ModelPrivacy(
        owner=None,
        rows=NEVER_SHOWN,
        personal={},
        not_personal=frozenset(
            {"id", "server_url", "handle", "secret", "issued", "lifetime", "assoc_type"}
        ),
    ),
}

# Partner apps are companies' programs, not people: staff who manage partners see them and
# their keys (never a key's hash). A user's consent to an app is theirs: they see and revoke it.
_PARTNER_APPS: dict[type[Model], ModelPrivacy] = {
    PartnerApp: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.MANAGE_PARTNERS})),
        personal={},
        not_personal=frozenset(
            {"id", "name", "scopes", "redirect_uris", "created_at", "revoked_at"}
        ),
    ),
    PartnerKey: ModelPrivacy(
        owner=None,
        rows=RowRule(NOBODY, staff=frozenset({P.MANAGE_PARTNERS})),
        personal={},
        not_personal=frozenset(
            {"id", "app", "key_hash", "hint", "created_at", "expires_at", "revoked_at"}
        ),
    ),
    PartnerGrant: ModelPrivacy(
        owner="user_id",
        rows=RowRule(OWNER_ONLY),
        personal={"code_hash": _credential, "token_hash": _credential},
        not_personal=frozenset(
            {
                "id",
                "app",
                "user",
                "scopes",
                "redirect_uri",
                "code_challenge",
                "code_expires_at",
                "code_used_at",
                "token_expires_at",
                "created_at",
                "revoked_at",
            }
        ),
    ),
}

# A legal disclosure as its subject sees it, among the shares of their data.
TOLD_SUBJECT = RowRule(OWNER_ONLY, live=DISCLOSURE_TOLD)

REGISTRY: dict[type[Model], ModelPrivacy] = {
    **_ACCOUNTS,
    **_MARKETPLACE,
    **_PAYMENTS,
    **_PRIVACY,
    **_INTERACTIONS,
    **_MARKETING,
    **_NOTIFICATIONS,
    **_DELETION,
    **_EXPORTS,
    **_INCIDENTS,
    **_SECURITY,
    **_LEGAL,
    **_SOCIAL,
    **_PARTNER_APPS,
}


def privacy_of(model: type[Model]) -> ModelPrivacy:
    try:
        return REGISTRY[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not in the personal-data registry") from None


def read_rule(model: type[Model], name: str) -> ReadRule:
    """The rule of a personal or restricted field; a public field has none to look up."""
    try:
        return privacy_of(model).read_rules[name]
    except KeyError:
        raise LookupError(f"{model.__name__}.{name} is neither personal nor restricted") from None


def owner_id(row: Model) -> int | None:
    value = privacy_of(type(row)).owner_of(row)
    return int(value) if value is not None else None

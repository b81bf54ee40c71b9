"""The privacy center's records: policy versions and their acceptance, anonymous visitors, the
consent ledger and the questions people send about the policy."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits


class ConsentPurpose(StrEnum):
    """What a consent is for: the cookie categories, marketing mail, and advertising partners."""

    NECESSARY = "NECESSARY"
    PREFERENCES = "PREFERENCES"
    ANALYTICS = "ANALYTICS"
    MARKETING_COOKIES = "MARKETING_COOKIES"
    MARKETING_EMAIL = "MARKETING_EMAIL"
    ADVERTISING_PARTNERS = "ADVERTISING_PARTNERS"


class ConsentSource(StrEnum):
    """How a choice reached us: the web client, an app over the API, the browser's Global
    Privacy Control signal, the sign-up form, or the account's deletion."""

    WEB = "WEB"
    API = "API"
    GPC = "GPC"
    SIGN_UP = "SIGN_UP"
    # Withdrawn by the account's deletion, not by a choice of the person.
    DELETION = "DELETION"


# The display preferences a visitor may ask to be remembered (PREFERENCES consent only).
REMEMBERED_PREFERENCES = ("language", "timezone", "currency")


class PrivacyPolicy(Model):
    """A published version of the privacy policy, never changed afterwards. The one in force is
    the newest already effective. Versions take effect in the order they are published."""

    id = fields.BigIntField(primary_key=True)
    version = fields.CharField(max_length=limits.MAX_POLICY_VERSION_LENGTH, unique=True)
    text = fields.TextField()
    # What changed since the version before, told to users with it.
    summary_of_changes = fields.TextField(default="", db_default="")
    # A material version asks every user to review it: they are notified, and must accept it.
    material = fields.BooleanField(default=False, db_default=False)
    effective_at = fields.DatetimeField()
    # The staff member who published it (none for version 1, which came with the service).
    published_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    published_at = fields.DatetimeField()

    published_by_id: int | None

    class Meta:
        table = "privacy_policies"


class PolicyAcceptance(Model):
    """A user's acceptance of one version of the privacy policy, at most one per user and
    version, never changed afterwards. The newest names the version they last reviewed."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    policy: fields.ForeignKeyRelation[PrivacyPolicy] = fields.ForeignKeyField(
        "models.PrivacyPolicy", related_name=False, on_delete=fields.RESTRICT
    )
    source = fields.CharEnumField(ConsentSource, max_length=16)
    accepted_at = fields.DatetimeField()

    user_id: int
    policy_id: int

    class Meta:
        table = "privacy_policy_acceptances"
        unique_together = (("user_id", "policy_id"),)


class PolicyAnnouncement(Model):
    """Telling every active user of a material version, in batches in the order of their ids:
    how far it got, so that a crash resumes after the last batch and a second run sends
    nothing. Kept apart from the version, which never changes."""

    id = fields.BigIntField(primary_key=True)
    policy: fields.OneToOneRelation[PrivacyPolicy] = fields.OneToOneField(
        "models.PrivacyPolicy", related_name=False, on_delete=fields.CASCADE
    )
    # Every account up to this id has been handled (notified, or had accepted already).
    notified_through = fields.BigIntField(default=0)
    notified_count = fields.IntField(default=0)
    finished_at = fields.DatetimeField(null=True)

    policy_id: int

    class Meta:
        table = "privacy_policy_announcements"


class Visitor(Model):
    """A browser without an account, known by the opaque ``mentor_visitor`` cookie, so that an
    anonymous visitor's choices are kept too. Only a SHA-256 of the cookie is stored."""

    id = fields.BigIntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    # The account this browser signed up or logged in to, whose ledger took its choices.
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # Display preferences this browser asked to be remembered (PREFERENCES consent only).
    language = fields.CharField(max_length=16, null=True)
    timezone = fields.CharField(max_length=64, null=True)
    currency = fields.CharField(max_length=3, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int | None

    class Meta:
        table = "visitors"


class ConsentRecord(Model):
    """One grant or withdrawal, never changed afterwards: the current choice of a user or a
    visitor is the newest record for each purpose, so the ledger is its own proof."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="consent_records", null=True, on_delete=fields.RESTRICT
    )
    visitor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Visitor", related_name="consent_records", null=True, on_delete=fields.RESTRICT
    )
    purpose = fields.CharEnumField(ConsentPurpose, max_length=32)
    granted = fields.BooleanField()
    source = fields.CharEnumField(ConsentSource, max_length=16)
    policy: fields.ForeignKeyRelation[PrivacyPolicy] = fields.ForeignKeyField(
        "models.PrivacyPolicy", related_name="consent_records", on_delete=fields.RESTRICT
    )
    decided_at = fields.DatetimeField()

    user_id: int | None
    visitor_id: int | None
    policy_id: int

    class Meta:
        table = "consent_records"
        indexes = (("user_id", "purpose", "decided_at"), ("visitor_id", "purpose", "decided_at"))


class PrivacyQuestion(Model):
    """A question about the privacy policy (P26), from anyone, mailed to support.

    The mail it caused is named, so that it goes with the question: the mail to support holds
    the message and the sender's address until delivered, the acknowledgement its address.
    """

    id = fields.BigIntField(primary_key=True)
    # The account that asked, if signed in; anonymous questions are nobody's account.
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    reply_to = fields.CharField(max_length=limits.MAX_EMAIL_LENGTH)
    subject = fields.CharField(max_length=limits.MAX_QUESTION_SUBJECT_LENGTH)
    message = fields.TextField()
    support_mail: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.OutboxEmail", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    acknowledgement: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.OutboxEmail", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # From core.clock, like the retention that deletes it.
    created_at = fields.DatetimeField(db_index=True)

    user_id: int | None
    support_mail_id: int | None
    acknowledgement_id: int | None

    class Meta:
        table = "privacy_questions"

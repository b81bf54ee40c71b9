"""Privacy mutations: thin wrappers over ``services.privacy``."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from core import limits
from models.accounts import StaffPermission, User
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.permissions import DataCategoryEnum
from resolvers.privacy.types import (
    ConsentPurposeEnum,
    ConsentType,
    DataExportType,
    LegalDisclosureType,
    PolicyAcceptanceType,
    Preferences,
    PrivacyPolicyType,
    consents_of,
)
from services import privacy_questions
from services.privacy import consents, exports, legal_disclosures, policy, preferences

LEGAL = staff(StaffPermission.LEGAL)
MANAGE_POLICY = staff(StaffPermission.MANAGE_POLICY)


@strawberry.input(description="One choice: grant or withdraw a purpose.")
class SetConsentInput:
    purpose: ConsentPurposeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What the choice is for; NECESSARY cannot be withdrawn."
    )
    granted: bool = strawberry.field(description="true grants, false withdraws.")


@strawberry.type(description="What `setConsent` answers: the choice recorded and all in force.")
class SetConsentPayload(Payload):
    consent: ConsentType | None = strawberry.field(default=None, description="The new choice.")
    consents: list[ConsentType] = strawberry.field(
        default_factory=list, description="Every choice in force after this one."
    )


@strawberry.input(description="Send only what changes; null forgets one.")
class RememberPreferencesInput:
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="A language tag, e.g. en."
    )
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="An IANA time zone, e.g. Europe/Paris."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="An ISO 4217 code, e.g. EUR."
    )


@strawberry.type(description="What `rememberPreferences` answers: what is remembered now.")
class RememberPreferencesPayload(Payload):
    preferences: Preferences | None = strawberry.field(
        default=None, description="The preferences remembered for this browser now."
    )


@strawberry.type(description="What `requestDataExport` answers: the export on its way.")
class RequestDataExportPayload(Payload):
    export: DataExportType | None = strawberry.field(
        default=None, description="The export asked for, or the one already on its way."
    )


@strawberry.input(description="A new version of the privacy policy, never changed once published.")
class PublishPrivacyPolicyInput:
    version: str = strawberry.field(
        description="Its name, not used before: letters, digits, dots and dashes, e.g. 2."
    )
    text: str = strawberry.field(description="The full text.")
    summary_of_changes: str = strawberry.field(
        description="What changed since the version before, in words for users."
    )
    effective_at: datetime = strawberry.field(
        description="When it takes effect, with its offset: now, later, or a past moment no "
        "earlier than the latest version's."
    )
    material: bool = strawberry.field(
        description="true when users must review and accept it: each active user is "
        "notified, in the app and by email, once it is in force."
    )


@strawberry.type(description="The version published, or why it was refused.")
class PublishPrivacyPolicyPayload(Payload):
    privacy_policy: PrivacyPolicyType | None = strawberry.field(
        default=None, description="The version published."
    )


@strawberry.input(description="The version of the privacy policy you accept.")
class AcceptPrivacyPolicyInput:
    version: str = strawberry.field(description="The version in force (`privacyPolicy.version`).")


@strawberry.type(description="Your acceptance, or why it was refused.")
class AcceptPrivacyPolicyPayload(Payload):
    privacy_policy_acceptance: PolicyAcceptanceType | None = strawberry.field(
        default=None, description="Your acceptance: the one you gave before, if you had."
    )
    must_review_privacy_policy: bool | None = strawberry.field(
        default=None, description="Whether a version is still waiting for your review."
    )


@strawberry.input(description="A question about the privacy policy, for the support team.")
class SendPrivacyQuestionInput:
    subject: str = strawberry.field(
        description=f"What it is about, in one line of at most "
        f"{limits.MAX_QUESTION_SUBJECT_LENGTH} characters."
    )
    message: str = strawberry.field(
        description=f"The question, at most {limits.MAX_QUESTION_MESSAGE_LENGTH} characters."
    )
    reply_to: str | None = strawberry.field(
        default=None,
        description="The email address to answer at: your account's when you are signed in "
        "and leave it out; required otherwise.",
    )


@strawberry.type(description="The question was sent, or why not.")
class SendPrivacyQuestionPayload(Payload):
    reply_to: str | None = strawberry.field(
        default=None,
        description="Where the answer will go, and the acknowledgement went; null if refused.",
    )


@strawberry.input(description="What the law requires to be disclosed, to whom, and under what.")
class CreateLegalDisclosureInput:
    user_id: relay.GlobalID = strawberry.field(description="The user whose data is disclosed.")
    legal_reference: str = strawberry.field(
        description="The legal reference (case, order, request number) that requires it; mandatory."
    )
    authority: str = strawberry.field(description="The authority the data goes to.")
    categories: list[DataCategoryEnum] = strawberry.field(  # type: ignore[valid-type]
        description="The categories of data to disclose, at least one; only their fields go "
        "into the package. CREDENTIAL is refused."
    )
    notify_subject: bool = strawberry.field(
        description="Whether the user is told once the package is downloaded (a notification "
        "and an entry in their dataDisclosures); false when the law forbids telling them."
    )


@strawberry.type(description="The legal disclosure asked for, or why it was refused.")
class CreateLegalDisclosurePayload(Payload):
    legal_disclosure: LegalDisclosureType | None = strawberry.field(
        default=None,
        description="The disclosure asked for; its package is built in the background.",
    )


@strawberry.type
class PrivacyMutations:
    @mutation(
        description=(
            "Grant or withdraw one purpose, for the signed-in user or for this browser; "
            "withdrawing is exactly as easy as granting. Every choice is kept as a record."
        )
    )
    async def set_consent(self, info: Info, input: SetConsentInput) -> SetConsentPayload:
        context = info.context
        subject = await context.consent_subject(start=True)
        assert subject is not None
        gpc = context.client.gpc
        choice = await consents.set_consent(
            subject, input.purpose, input.granted, source=context.consent_source, gpc=gpc
        )
        return SetConsentPayload(
            consent=ConsentType.of(choice),
            consents=consents_of(await consents.choices(subject, gpc=gpc)),
        )

    @mutation(description="Remember display preferences for this browser (PREFERENCES).")
    async def remember_preferences(
        self, info: Info, input: RememberPreferencesInput
    ) -> RememberPreferencesPayload:
        context = info.context
        subject = await context.consent_subject(start=False)
        await preferences.require_consent(subject, gpc=context.client.gpc)
        visitor = await context.visitor(start=True)
        assert visitor is not None
        found = await preferences.remember(visitor, sent_fields(input))
        return RememberPreferencesPayload(preferences=Preferences.of(found))

    @mutation(
        description=(
            "Ask for a copy of all your data: a ZIP archive, built in the background, that "
            "you are notified of and may download for 24 hours (`me.dataExports`). An export "
            "on its way is answered again; one a day, else RATE_LIMITED."
        ),
        guard=SIGNED_IN,
    )
    async def request_data_export(self, info: Info, actor: User) -> RequestDataExportPayload:
        context = info.context
        export = await exports.request_export(context.runtime, actor, context.client)
        return RequestDataExportPayload(export=export)  # type: ignore[arg-type]

    @mutation(
        description="Publish a new version of the privacy policy (staff, MANAGE_POLICY); "
        "audited. An existing version is CONFLICT: versions never change. A material version "
        "is announced to every active user once it is in force.",
        guard=MANAGE_POLICY,
    )
    async def publish_privacy_policy(
        self, info: Info, actor: User, input: PublishPrivacyPolicyInput
    ) -> PublishPrivacyPolicyPayload:
        context = info.context
        published = await policy.publish(
            context.runtime,
            actor,
            version=input.version,
            text=input.text,
            summary_of_changes=input.summary_of_changes,
            effective_at=input.effective_at,
            material=input.material,
            client=context.client,
        )
        return PublishPrivacyPolicyPayload(privacy_policy=published)  # type: ignore[arg-type]

    @mutation(
        description="Accept the version of the privacy policy in force; any other version is "
        "BAD_USER_INPUT. Accepting it again changes nothing.",
        guard=SIGNED_IN,
    )
    async def accept_privacy_policy(
        self, info: Info, actor: User, input: AcceptPrivacyPolicyInput
    ) -> AcceptPrivacyPolicyPayload:
        accepted = await policy.accept(actor, input.version, source=info.context.consent_source)
        return AcceptPrivacyPolicyPayload(
            privacy_policy_acceptance=accepted,  # type: ignore[arg-type]
            must_review_privacy_policy=await policy.must_review(actor.id),
        )

    @mutation(
        description=(
            "Ask the support team a question about the privacy policy, signed in or not. It "
            "is mailed to `privacyInformation.contactEmail`, to be answered at `replyTo`, "
            "where an acknowledgement goes at once. A few a window per network, account and "
            "address, else RATE_LIMITED."
        )
    )
    async def send_privacy_question(
        self, info: Info, input: SendPrivacyQuestionInput
    ) -> SendPrivacyQuestionPayload:
        context = info.context
        question = await privacy_questions.ask(
            context.runtime,
            context.viewer.user,
            subject=input.subject,
            message=input.message,
            reply_to=input.reply_to,
            client=context.client,
        )
        return SendPrivacyQuestionPayload(reply_to=question.reply_to)

    @mutation(
        description=(
            "Produce a disclosure package of a user's data that the law requires (staff, "
            "LEGAL): the registry's fields of the requested categories only, built in the "
            "background and downloadable once, by you, from its downloadUrl. Every step is "
            "audited with the legal reference."
        ),
        guard=LEGAL,
    )
    async def create_legal_disclosure(
        self, info: Info, actor: User, input: CreateLegalDisclosureInput
    ) -> CreateLegalDisclosurePayload:
        context = info.context
        disclosure = await legal_disclosures.request_disclosure(
            context.runtime,
            actor,
            row_id(input.user_id, "User", field="userId"),
            legal_reference=input.legal_reference,
            authority=input.authority,
            categories=input.categories,
            notify_subject=input.notify_subject,
            client=context.client,
        )
        return CreateLegalDisclosurePayload(legal_disclosure=disclosure)  # type: ignore[arg-type]

"""GraphQL types of the privacy center. A consent is a derived choice (no row of its own);
the records behind it are nodes their owner reads as proof, as are the data exports. The
policy's versions are public, shown by their version name rather than as nodes. Legal
disclosures are LEGAL staff's nodes."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
from strawberry import relay

from models.accounts import User
from models.disclosures import DisclosureStatus, LegalDisclosure
from models.exports import DataExport, ExportStatus
from models.privacy import (
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    PolicyAcceptance,
    PrivacyPolicy,
)
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import DataCategoryEnum, registry_field, rows_of
from services.access.policy import Category
from services.privacy import consents, exports, information, legal_disclosures, policy, preferences
from services.privacy.consents import Choice, Subject
from services.privacy.features import REQUIREMENTS, Feature

ConsentPurposeEnum = described_enum(
    ConsentPurpose,
    name="ConsentPurpose",
    description="What a consent is for: a cookie category, marketing mail, advertising partners.",
    values={
        ConsentPurpose.NECESSARY: "What the service cannot work without (the session, "
        "security); always granted, never withdrawn.",
        ConsentPurpose.PREFERENCES: "Remembering display choices (language, time zone, "
        "currency) for this browser.",
        ConsentPurpose.ANALYTICS: "Counting page and post views, and what is built from them "
        "(view history, recommendations).",
        ConsentPurpose.MARKETING_COOKIES: "Marketing cookies in the web client, which reads "
        "this choice before setting any.",
        ConsentPurpose.MARKETING_EMAIL: "News and offers by email.",
        ConsentPurpose.ADVERTISING_PARTNERS: "Sharing data with advertising partners, each "
        "share listed in `dataDisclosures`.",
    },
)
ConsentSourceEnum = described_enum(
    ConsentSource,
    name="ConsentSource",
    description="How a choice reached us: the web client, the API, the browser's GPC signal, "
    "the sign-up form, or the account's deletion.",
    values={
        ConsentSource.WEB: "Chosen in the web client.",
        ConsentSource.API: "Chosen in another client, over the API.",
        ConsentSource.GPC: "The browser's Global Privacy Control signal withdrew it.",
        ConsentSource.SIGN_UP: "Chosen on the sign-up form.",
        ConsentSource.DELETION: "Withdrawn by the account's deletion, not by a choice.",
    },
)
FeatureEnum = described_enum(
    Feature,
    name="ConsentFeature",
    description="A feature that works only with a consent.",
    values={
        feature: f"{requirement.description} Needs {requirement.purpose.value}."
        for feature, requirement in REQUIREMENTS.items()
    },
)


@strawberry.type(name="Consent", description="The choice in force for one purpose.")
class ConsentType:
    purpose: ConsentPurposeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What the choice is about."
    )
    granted: bool = strawberry.field(
        description="Whether the purpose may be pursued now; everything optional starts off."
    )
    decided_at: datetime | None = strawberry.field(description="When the choice was made.")
    source: ConsentSourceEnum | None = strawberry.field(  # type: ignore[valid-type]
        description="How it was made; null for a default nobody chose."
    )
    policy_version: str | None = strawberry.field(
        description="The privacy-policy version in force when it was made."
    )
    overridden_by_gpc: bool = strawberry.field(
        description="Off for this request whatever was chosen: the browser sends Global "
        "Privacy Control."
    )
    can_withdraw: bool = strawberry.field(
        description="False for NECESSARY, which keeps the service working."
    )

    @classmethod
    def of(cls, choice: Choice) -> ConsentType:
        return cls(
            purpose=choice.purpose,
            granted=choice.granted,
            decided_at=choice.decided_at,
            source=choice.source,
            policy_version=choice.policy_version,
            overridden_by_gpc=choice.overridden_by_gpc,
            can_withdraw=choice.purpose is not ConsentPurpose.NECESSARY,
        )


def consents_of(found: list[Choice]) -> list[ConsentType]:
    return [ConsentType.of(choice) for choice in found]


@strawberry.type(name="ConsentRecord", description="One grant or withdrawal, kept as proof.")
class ConsentRecordType(ModelNode):
    model = ConsentRecord

    id: relay.NodeID[int]
    purpose: ConsentPurposeEnum | None = registry_field(  # type: ignore[valid-type]
        ConsentRecord, "purpose", "What it was for."
    )
    granted: bool | None = registry_field(ConsentRecord, "granted", "Granted or withdrawn.")
    source: ConsentSourceEnum | None = registry_field(  # type: ignore[valid-type]
        ConsentRecord, "source", "How it reached us."
    )
    decided_at: datetime = strawberry.field(description="When.")

    @strawberry.field(description="The privacy-policy version in force then.")
    async def policy_version(self, root: ConsentRecord, info: Info) -> str | None:
        policy = await visible_row(info, PrivacyPolicy, root.policy_id)
        return None if policy is None else policy.version


@strawberry.type(name="ConsentRecordConnection", description="A page of consent records.")
class ConsentRecordConnection(CountedConnection[ConsentRecordType]):
    pass


ExportStatusEnum = described_enum(
    ExportStatus,
    name="DataExportStatus",
    description="PENDING until a worker starts, BUILDING, READY to download for 24 hours, then "
    "EXPIRED (its archive deleted); FAILED when it could not be built (ask again).",
    values={
        ExportStatus.PENDING: "Asked for; building starts soon.",
        ExportStatus.BUILDING: "The archive is being built.",
        ExportStatus.READY: "Download it from `downloadUrl` until `expiresAt`.",
        ExportStatus.FAILED: "It could not be built; ask for a new one.",
        ExportStatus.EXPIRED: "Its download time is over and the archive is deleted.",
    },
)


@strawberry.type(
    name="DataExport",
    description="A copy of your data you asked for: a ZIP archive with data.json, a README "
    "and your files. Yours alone.",
)
class DataExportType(ModelNode):
    model = DataExport

    id: relay.NodeID[int]
    status: ExportStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands: READY ones may be downloaded."
    )
    requested_at: datetime = strawberry.field(description="When you asked for it.")
    ready_at: datetime | None = strawberry.field(description="When its archive was built.")
    expires_at: datetime | None = strawberry.field(
        description="When its archive is deleted: a day after it was built."
    )
    size_bytes: int | None = strawberry.field(description="The archive's size in bytes.")

    @registry_field(
        DataExport,
        "file_key",
        "Where to download the archive (GET, with your session cookie or bearer token) while "
        "it is READY; null otherwise.",
    )
    def download_url(self, root: DataExport, info: Info) -> str | None:
        if not exports.downloadable(root):
            return None
        global_id = relay.to_base64("DataExport", root.id)
        return f"{info.context.runtime.settings.public_url}/exports/{global_id}"


@strawberry.type(name="DataExportConnection", description="A page of data exports.")
class DataExportConnection(CountedConnection[DataExportType]):
    pass


@strawberry.type(
    name="PrivacyPolicy",
    description="A published version of the privacy policy; it never changes once published.",
)
class PrivacyPolicyType:
    version: str = strawberry.field(description="The version's name, e.g. 2.")
    text: str = strawberry.field(description="The full text (also at GET /privacy-policy).")
    summary_of_changes: str = strawberry.field(
        description="What changed since the version before, for users."
    )
    effective_at: datetime = strawberry.field(
        description="When it takes effect; the version in force is the newest already effective."
    )
    material: bool = strawberry.field(
        description="Whether users must review and accept it: each is notified once it is in "
        "force, and `me.mustReviewPrivacyPolicy` is true until they accept."
    )
    published_at: datetime = strawberry.field(description="When staff published it.")


@strawberry.type(name="PrivacyPolicyConnection", description="A page of privacy-policy versions.")
class PrivacyPolicyConnection(CountedConnection[PrivacyPolicyType]):  # type: ignore[type-var]
    pass


@strawberry.type(
    name="PrivacyPolicyAcceptance",
    description="Your acceptance of a version of the privacy policy. Yours alone.",
)
class PolicyAcceptanceType:
    source: ConsentSourceEnum | None = registry_field(  # type: ignore[valid-type]
        PolicyAcceptance, "source", "How it reached us: SIGN_UP, WEB or API."
    )
    accepted_at: datetime = strawberry.field(description="When you accepted it.")

    @registry_field(PolicyAcceptance, "policy", "The version you accepted.")
    async def version(self, root: PolicyAcceptance, info: Info) -> str | None:
        found = await visible_row(info, PrivacyPolicy, root.policy_id)
        return None if found is None else found.version


LegalDisclosureStatusEnum = described_enum(
    DisclosureStatus,
    name="LegalDisclosureStatus",
    description="Where a legal disclosure's package stands, from the request to its download.",
    values={
        DisclosureStatus.PENDING: "Asked for; a worker has not started building it.",
        DisclosureStatus.BUILDING: "Being built (or again, after a crash).",
        DisclosureStatus.READY: "Built: the staff member who asked may download it, once.",
        DisclosureStatus.DOWNLOADED: "Downloaded, and its file deleted.",
        DisclosureStatus.EXPIRED: "Nobody downloaded it in time: its file was deleted.",
        DisclosureStatus.FAILED: "It could not be built (the account was erased, say).",
    },
)


@strawberry.type(
    name="LegalDisclosure",
    description="A package of a user's data that the law requires us to hand to an "
    "authority: requested by LEGAL staff, built like a data export with only the "
    "requested categories, downloaded once by whoever asked. LEGAL staff only.",
)
class LegalDisclosureType(ModelNode):
    model = LegalDisclosure

    id: relay.NodeID[int]
    status: LegalDisclosureStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where it stands: READY ones may be downloaded."
    )
    legal_reference: str | None = registry_field(
        LegalDisclosure, "legal_reference", "The legal reference (case, order) it was asked under."
    )
    authority: str | None = registry_field(
        LegalDisclosure, "authority", "The authority the data goes to."
    )
    notify_subject: bool = strawberry.field(
        description="Whether the person is told of it once it is made; false when the law "
        "forbids telling them."
    )
    built_at: datetime | None = strawberry.field(description="When its package was built.")
    expires_at: datetime | None = strawberry.field(
        description="When an undownloaded package is deleted."
    )
    downloaded_at: datetime | None = strawberry.field(
        description="When it was downloaded (and its file deleted): when the data was disclosed."
    )
    size_bytes: int | None = strawberry.field(description="The package's size in bytes.")

    @registry_field(LegalDisclosure, "categories", "The categories of data it holds.")
    def categories(self, root: LegalDisclosure) -> list[DataCategoryEnum] | None:  # type: ignore[valid-type]
        return [Category(name) for name in root.categories]

    @strawberry.field(description="When it was asked for.")
    def created_at(self, root: LegalDisclosure) -> datetime:
        return root.requested_at

    @strawberry.field(description="The ID of the user whose data it holds.")
    def subject_id(self, root: LegalDisclosure) -> strawberry.ID:
        return strawberry.ID(relay.to_base64("User", root.user_id))

    @strawberry.field(
        description="Where to download the package (GET, with your session cookie or bearer "
        "token) while it is READY; only the staff member who asked may, and only once."
    )
    def download_url(self, root: LegalDisclosure, info: Info) -> str | None:
        if not legal_disclosures.downloadable(root):
            return None
        global_id = relay.to_base64("LegalDisclosure", root.id)
        return f"{info.context.runtime.settings.public_url}/disclosures/{global_id}"


@strawberry.type(name="LegalDisclosureConnection", description="A page of legal disclosures.")
class LegalDisclosureConnection(CountedConnection[LegalDisclosureType]):
    pass


@strawberry.type(description="A feature and the consent it needs.")
class ConsentRequirement:
    feature: FeatureEnum = strawberry.field(  # type: ignore[valid-type]
        description="The feature."
    )
    purpose: ConsentPurposeEnum = strawberry.field(  # type: ignore[valid-type]
        description="The consent it needs; grant it with `setConsent`."
    )
    description: str = strawberry.field(description="What the feature does, to show the user.")
    granted: bool = strawberry.field(description="Whether the caller has that consent now.")


@strawberry.type(description="Display preferences remembered for this browser.")
class Preferences:
    language: str | None = strawberry.field(
        description="A language tag, e.g. en; null when none is remembered."
    )
    timezone: str | None = strawberry.field(
        description="An IANA time zone, e.g. Europe/Paris; null when none is remembered."
    )
    currency: str | None = strawberry.field(
        description="An ISO 4217 code to show prices in, e.g. EUR; null when none is remembered."
    )

    @classmethod
    def of(cls, found: preferences.Preferences) -> Preferences:
        return cls(language=found.language, timezone=found.timezone, currency=found.currency)


@strawberry.type(description="Who processes personal data for us, what for, and where.")
class PrivacyProcessor:
    name: str = strawberry.field(description="The provider or partner.")
    purpose: str = strawberry.field(description="What it processes the data for.")
    location: str | None = strawberry.field(
        description="Where it processes the data (ISO 3166 code); null when not configured."
    )


@strawberry.type(description="How long one kind of personal data is kept.")
class RetentionPeriod:
    purpose: str = strawberry.field(description="Which data, and until what it is kept.")
    period: str = strawberry.field(description="How long, in words (`30 days`).")
    days: float = strawberry.field(description="The same period in days.")

    @classmethod
    def of(cls, found: information.Retention) -> RetentionPeriod:
        return cls(
            purpose=found.purpose,
            period=information.in_words(found.period),
            days=found.period / timedelta(days=1),
        )


@strawberry.type(
    description="What the privacy policy leaves to this service's configuration: who answers "
    "for your data, where it is stored, who processes it, how long it is kept, and where to "
    "ask about it."
)
class PrivacyInformation:
    controller: str = strawberry.field(
        description="The legal entity responsible for your data (the controller)."
    )
    controller_address: str | None = strawberry.field(
        description="The controller's postal address; null when not configured."
    )
    contact_email: str = strawberry.field(
        description="The support team's address for questions about the policy; "
        "`sendPrivacyQuestion` writes to it."
    )
    storage_locations: list[str] = strawberry.field(
        description="Where the data is stored: each store and the country or region it is in."
    )
    processors: list[PrivacyProcessor] = strawberry.field(
        description="Who processes personal data for us, as `dataProcessors` lists them."
    )
    retention: list[RetentionPeriod] = strawberry.field(
        description="How long each kind of data is kept, as the service enforces it."
    )

    @classmethod
    def of(cls, found: information.PrivacyInformation) -> PrivacyInformation:
        return cls(
            controller=found.controller,
            controller_address=found.controller_address,
            contact_email=found.contact_email,
            storage_locations=found.storage_locations,
            processors=[
                PrivacyProcessor(name=p.name, purpose=p.purpose, location=p.country)
                for p in found.processors
            ],
            retention=[RetentionPeriod.of(period) for period in found.retention],
        )


@strawberry.type
class UserPrivacyFields:
    """Privacy fields of the User type: the user's own ledger."""

    @strawberry.field(
        description="The choice in force for every purpose; the user's own only.",
        extensions=[rows_of(ConsentRecord)],
    )
    async def consents(self, root: User, info: Info) -> list[ConsentType] | None:
        found = await consents.choices(Subject(user_id=root.id), gpc=info.context.client.gpc)
        return consents_of(found)

    @strawberry.field(
        description="Every grant and withdrawal, newest first, with its policy version and "
        "source; the user's own only.",
        extensions=[rows_of(ConsentRecord)],
    )
    async def consent_history(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> ConsentRecordConnection | None:
        return await ConsentRecordConnection.resolve_connection(
            consents.history(info.context.access, root.id), info=info, first=first, after=after
        )

    @strawberry.field(
        description="The data exports you asked for, newest first, with their status and "
        "expiry; the user's own only.",
        extensions=[rows_of(DataExport)],
    )
    async def data_exports(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> DataExportConnection | None:
        return await DataExportConnection.resolve_connection(
            exports.newest_first(info.context.access, root.id), info=info, first=first, after=after
        )

    @strawberry.field(
        description="The newest version of the privacy policy you accepted, and when; the "
        "user's own only.",
        extensions=[rows_of(PolicyAcceptance)],
    )
    async def privacy_policy_acceptance(
        self, root: User, info: Info
    ) -> PolicyAcceptanceType | None:
        found = await policy.newest_acceptance(info.context.access, root.id)
        return found  # type: ignore[return-value]

    @strawberry.field(
        description="True while a material version of the privacy policy in force is newer "
        "than the one you last accepted: read it and acceptPrivacyPolicy. The user's own only.",
        extensions=[rows_of(PolicyAcceptance)],
    )
    async def must_review_privacy_policy(self, root: User, info: Info) -> bool | None:
        return await policy.must_review(root.id)

"""GraphQL types of the privacy center. A consent is a derived choice (no row of its own);
the records behind it are nodes their owner reads as proof, as are the data exports. Legal
disclosures are LEGAL staff's nodes."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import User
from models.disclosures import DisclosureStatus, LegalDisclosure
from models.exports import DataExport, ExportStatus
from models.privacy import ConsentPurpose, ConsentRecord, ConsentSource, PrivacyPolicy
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field, rows_of
from services.access.policy import Category
from services.privacy import consents, exports, legal_disclosures, preferences
from services.privacy.consents import Choice, Subject
from services.privacy.features import Feature

ConsentPurposeEnum = strawberry.enum(
    ConsentPurpose,
    name="ConsentPurpose",
    description="What a consent is for: a cookie category, marketing mail, advertising partners.",
)
ConsentSourceEnum = strawberry.enum(
    ConsentSource,
    name="ConsentSource",
    description="How a choice reached us: the web client, the API, the browser's GPC signal, "
    "or the sign-up form.",
)
FeatureEnum = strawberry.enum(
    Feature, name="ConsentFeature", description="A feature that works only with a consent."
)


@strawberry.type(name="Consent", description="The choice in force for one purpose.")
class ConsentType:
    purpose: ConsentPurposeEnum  # type: ignore[valid-type]
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


ExportStatusEnum = strawberry.enum(
    ExportStatus,
    name="DataExportStatus",
    description="PENDING until a worker starts, BUILDING, READY to download for 24 hours, then "
    "EXPIRED (its archive deleted); FAILED when it could not be built (ask again).",
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


PersonalDataCategoryEnum = described_enum(
    Category,
    name="PersonalDataCategory",
    description="A category of personal data, as the personal-data registry classifies each "
    "field that holds some.",
    values={
        Category.CONTACT: "How to reach the person: their email address and its verification.",
        Category.IDENTITY: "Who the person is: name and photo, and shares that identify them.",
        Category.FINANCIAL: "Payments, prices, saved cards and payout accounts.",
        Category.DEVICE_NETWORK: "Truncated IP addresses, browsers and operating systems.",
        Category.BEHAVIOUR: "What the person did: pages viewed, posts liked, notices read.",
        Category.CONTENT: "What the person wrote: bio, posts, job descriptions, testimonials.",
        Category.PREFERENCES: "Their choices: time zone, languages, expertise, consents.",
        Category.CREDENTIAL: "Secrets such as password hashes: never exported or disclosed.",
    },
)
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
    "authority (P11): requested by LEGAL staff, built like a data export with only the "
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
    def categories(self, root: LegalDisclosure) -> list[PersonalDataCategoryEnum] | None:  # type: ignore[valid-type]
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
    feature: FeatureEnum  # type: ignore[valid-type]
    purpose: ConsentPurposeEnum  # type: ignore[valid-type]
    description: str
    granted: bool = strawberry.field(description="Whether the caller has that consent now.")


@strawberry.type(description="Display preferences remembered for this browser.")
class Preferences:
    language: str | None
    timezone: str | None
    currency: str | None

    @classmethod
    def of(cls, found: preferences.Preferences) -> Preferences:
        return cls(language=found.language, timezone=found.timezone, currency=found.currency)


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

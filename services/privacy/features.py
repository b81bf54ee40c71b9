"""Which features need which consent, as data (P7: "without cookies certain sections may not
be visible"). A call into a feature its caller has not consented to answers CONSENT_REQUIRED,
naming the purpose, so a client can ask for exactly that consent."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.errors import DomainError, ErrorCode
from models.privacy import ConsentPurpose
from services.privacy import consents
from services.privacy.consents import Subject


class Feature(StrEnum):
    VIEW_HISTORY = "VIEW_HISTORY"
    RECOMMENDATIONS = "RECOMMENDATIONS"
    REMEMBERED_PREFERENCES = "REMEMBERED_PREFERENCES"
    MARKETING_EMAILS = "MARKETING_EMAILS"
    PARTNER_ADVERTISING = "PARTNER_ADVERTISING"


@dataclass(frozen=True)
class Requirement:
    purpose: ConsentPurpose
    description: str


REQUIREMENTS: dict[Feature, Requirement] = {
    Feature.VIEW_HISTORY: Requirement(
        ConsentPurpose.ANALYTICS, "The posts you viewed, kept from your visits."
    ),
    Feature.RECOMMENDATIONS: Requirement(
        ConsentPurpose.ANALYTICS, "Mentors suggested from the posts you viewed."
    ),
    Feature.REMEMBERED_PREFERENCES: Requirement(
        ConsentPurpose.PREFERENCES, "Your language, time zone and currency, kept for this browser."
    ),
    Feature.MARKETING_EMAILS: Requirement(
        ConsentPurpose.MARKETING_EMAIL, "News and offers by email; every mail can unsubscribe you."
    ),
    Feature.PARTNER_ADVERTISING: Requirement(
        ConsentPurpose.ADVERTISING_PARTNERS,
        "Advertising partners may show you our offers; you see each share in dataDisclosures.",
    ),
}


class ConsentRequired(DomainError):
    code = ErrorCode.CONSENT_REQUIRED

    def __init__(self, feature: Feature) -> None:
        self.feature = feature
        self.purpose = REQUIREMENTS[feature].purpose
        super().__init__(
            f"This needs your {self.purpose.value} consent (setConsent).", field="purpose"
        )

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code.value, "purpose": self.purpose.value, "feature": self.feature}


async def require(subject: Subject | None, feature: Feature, *, gpc: bool) -> Subject:
    """The subject, when it has consented to what ``feature`` needs; else CONSENT_REQUIRED."""
    purpose = REQUIREMENTS[feature].purpose
    if subject is None or not await consents.allows(subject, purpose, gpc=gpc):
        raise ConsentRequired(feature)
    return subject

from __future__ import annotations

import strawberry

from models.accounts import StaffPermission, User
from resolvers.base import query, staff
from resolvers.context import Info
from resolvers.pagination import After, Before, First, Last
from resolvers.privacy.types import (
    ConsentRequirement,
    ConsentType,
    LegalDisclosureConnection,
    Preferences,
    PrivacyInformation,
    PrivacyPolicyConnection,
    PrivacyPolicyType,
    consents_of,
)
from services.privacy import consents, information, legal_disclosures, policy, preferences
from services.privacy.features import REQUIREMENTS


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description=(
            "The choice in force for every purpose, for the signed-in user or for this browser "
            "(a visitor); everything optional is off until granted."
        )
    )
    async def consents(self, info: Info) -> list[ConsentType]:
        context = info.context
        subject = await context.consent_subject(start=False)
        return consents_of(await consents.choices(subject, gpc=context.client.gpc))

    @strawberry.field(description="Which feature needs which consent, and whether you have it.")
    async def consent_requirements(self, info: Info) -> list[ConsentRequirement]:
        context = info.context
        subject = await context.consent_subject(start=False)
        found = await consents.choices(subject, gpc=context.client.gpc)
        granted = {choice.purpose for choice in found if choice.granted}
        return [
            ConsentRequirement(
                feature=feature,
                purpose=requirement.purpose,
                description=requirement.description,
                granted=requirement.purpose in granted,
            )
            for feature, requirement in REQUIREMENTS.items()
        ]

    @strawberry.field(
        description="Display preferences remembered for this browser; needs PREFERENCES consent."
    )
    async def preferences(self, info: Info) -> Preferences:
        context = info.context
        subject = await context.consent_subject(start=False)
        visitor = await context.visitor(start=False)
        found = await preferences.remembered(subject, visitor, gpc=context.client.gpc)
        return Preferences.of(found)

    @strawberry.field(
        description="The privacy policy in force: the newest version already effective. Also "
        "served as plain text at GET /privacy-policy."
    )
    async def privacy_policy(self) -> PrivacyPolicyType:
        return await policy.current_policy()  # type: ignore[return-value]

    @strawberry.field(
        description="Every published version of the privacy policy with its summary of "
        "changes, newest first; one that is not effective yet comes first."
    )
    async def privacy_policy_versions(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PrivacyPolicyConnection:
        return await PrivacyPolicyConnection.resolve_connection(
            policy.newest_first(info.context.access),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        description="The privacy information, for anyone: the controller, the contact for "
        "questions, where the data is stored, who processes it and how long it is kept, all "
        "as this server is configured."
    )
    def privacy_information(self, info: Info) -> PrivacyInformation:
        return PrivacyInformation.of(information.information(info.context.runtime.settings))

    @query(
        description="The legal disclosures you asked for (staff, LEGAL), newest first, with "
        "their status and the steps' times.",
        guard=staff(StaffPermission.LEGAL),
    )
    async def legal_disclosures(
        self,
        info: Info,
        actor: User,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> LegalDisclosureConnection:
        return await LegalDisclosureConnection.resolve_connection(
            legal_disclosures.requested_by(info.context.access, actor.id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )

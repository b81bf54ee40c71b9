"""GraphQL types of the accounts domain. Personal fields follow the registry."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import DeactivationReason, StaffPermission, User
from resolvers.base import StaffPermissionEnum, described_enum
from resolvers.context import Info
from resolvers.deletion.types import UserDeletionFields
from resolvers.incidents.types import UserIncidentFields
from resolvers.interactions.types import UserInteractionFields
from resolvers.marketing.types import UserMarketingFields
from resolvers.nodes import ModelNode
from resolvers.notifications.types import UserNotificationFields
from resolvers.pagination import CountedConnection
from resolvers.payments.types import UserPaymentFields
from resolvers.permissions import registry_field
from resolvers.privacy.types import UserPrivacyFields
from resolvers.security.types import UserSecurityFields
from resolvers.social.types import UserSocialFields

DeactivationReasonEnum = described_enum(
    DeactivationReason,
    name="DeactivationReason",
    description="Why staff deactivated an account: a fixed list, never free text about a person.",
    values={
        DeactivationReason.TERMS_VIOLATION: "The account broke the terms of service.",
        DeactivationReason.FRAUD: "The account was used for fraud.",
        DeactivationReason.COMPROMISED: "Someone else took control of the account.",
        DeactivationReason.OWNER_REQUEST: "Its owner asked for it, through support.",
        DeactivationReason.OTHER: "Another reason, recorded outside the service.",
    },
)


@strawberry.type(
    name="User",
    description=(
        "A person on the platform. Personal fields are null, without an error, for viewers "
        "outside their audience in the personal-data registry."
    ),
)
class UserType(
    ModelNode,
    UserPaymentFields,
    UserPrivacyFields,
    UserInteractionFields,
    UserMarketingFields,
    UserNotificationFields,
    UserDeletionFields,
    UserIncidentFields,
    UserSecurityFields,
    UserSocialFields,
):
    model = User

    id: relay.NodeID[int]
    email: str | None = registry_field(
        User, "email", "Contact address; its owner and VIEW_PII staff."
    )
    email_verified: bool | None = registry_field(
        User, "email_verified", "Whether the owner confirmed the address; marketing needs it."
    )
    name: str | None = registry_field(User, "name", "Display name.")
    timezone: str | None = registry_field(User, "timezone", "IANA time zone, e.g. Europe/Paris.")
    language: str | None = registry_field(User, "language", "Preferred language tag, e.g. en.")
    bio: str | None = registry_field(User, "bio", "Free text about the person.")
    expertise: list[str] | None = registry_field(User, "expertise", "Expertise tags.")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @registry_field(User, "photo_key", "Address of the profile photo.")
    def photo_url(self, root: User, info: Info) -> str | None:
        if not root.photo_key:
            return None
        return f"{info.context.runtime.settings.public_url}/media/{root.photo_key}"

    is_active: bool | None = registry_field(
        User,
        "is_active",
        "False while the account is deactivated (by staff, or by its deletion); the user "
        "and MANAGE_USERS staff.",
    )
    deactivated_at: datetime | None = registry_field(
        User,
        "deactivated_at",
        "When staff deactivated the account, while they keep it so; the user and "
        "MANAGE_USERS staff.",
    )
    deactivation_reason: DeactivationReasonEnum | None = registry_field(  # type: ignore[valid-type]
        User,
        "deactivation_reason",
        "Why staff deactivated it, while they keep it so; the user and MANAGE_USERS staff.",
    )

    @registry_field(
        User,
        "staff_permissions",
        "Staff permissions the user holds; visible to the user and MANAGE_USERS staff.",
    )
    def staff_permissions(self, root: User) -> list[StaffPermissionEnum] | None:  # type: ignore[valid-type]
        return [StaffPermission(p) for p in root.staff_permissions]


@strawberry.type(name="UserConnection", description="A page of users.")
class UserConnection(CountedConnection[UserType]):
    pass

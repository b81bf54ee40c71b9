"""GraphQL types of third-party login (P8, P9)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.accounts import User
from models.social import ImportedField, SocialAccount, SocialImport
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import ModelNode
from resolvers.permissions import registry_field, rows_of
from services.social import accounts as social

ImportedFieldEnum = described_enum(
    ImportedField,
    name="ImportedField",
    description="A profile field a third-party login provider filled in.",
    values={
        ImportedField.NAME: "The display name.",
        ImportedField.EMAIL: "The email address.",
        ImportedField.PHOTO: "The profile photo, fetched from the picture the provider linked.",
    },
)


@strawberry.type(
    name="ImportedFieldRecord",
    description="A profile value a provider sent, and when it was imported.",
)
class ImportedFieldRecord:
    field: ImportedFieldEnum | None = registry_field(  # type: ignore[valid-type]
        SocialImport, "field", "Which field."
    )
    imported_at: datetime | None = registry_field(
        SocialImport, "imported_at", "When the provider's value was taken."
    )


@strawberry.type(
    name="SocialAccount",
    description="A third-party login provider account linked to yours. Yours alone.",
)
class SocialAccountType(ModelNode):
    model = SocialAccount

    id: relay.NodeID[int]
    provider: str | None = registry_field(
        SocialAccount, "provider", "The provider's name, as in authProviders."
    )
    uid: str | None = registry_field(
        SocialAccount, "uid", "Who the provider says you are: its account id."
    )
    linked_at: datetime = strawberry.field(description="When it was linked.")

    @strawberry.field(
        description="What this provider filled in of your profile, and when; a field it did "
        "not send is not listed."
    )
    async def imported_fields(self, root: SocialAccount, info: Info) -> list[ImportedFieldRecord]:
        found = await social.imports_of(info.context.access, root)
        return found  # type: ignore[return-value]


@strawberry.type(name="AuthProvider", description="A third-party login provider offered here.")
class AuthProviderType:
    name: str = strawberry.field(description="Its name in /auth/login/{name}.")
    title: str = strawberry.field(description="What to call it on a button.")
    login_url: str = strawberry.field(
        description="Where to send the browser (add ?next=… for where to return, "
        "&mode=code for an app's one-time code)."
    )


@strawberry.type
class UserSocialFields:
    """Third-party login fields of the User type."""

    @strawberry.field(
        description="The provider accounts linked to yours, oldest first; yours alone.",
        extensions=[rows_of(SocialAccount)],
    )
    async def social_accounts(self, root: User, info: Info) -> list[SocialAccountType] | None:
        found = await social.linked_accounts(info.context.access, root.id)
        return found  # type: ignore[return-value]

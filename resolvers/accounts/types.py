"""GraphQL types of the accounts domain. Personal fields follow the registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from app.context import Info
from models.accounts import StaffPermission, User
from resolvers.ids import as_row_id
from resolvers.payments.types import UserPaymentFields
from resolvers.permissions import owner_only, registry_visibility

StaffPermissionEnum = strawberry.enum(
    StaffPermission, name="StaffPermission", description="A named staff power."
)


def _personal(field: str, description: str) -> Any:
    return strawberry.field(description=description, extensions=registry_visibility(User, field))


@strawberry.type(
    name="User",
    description=(
        "A person on the platform. Personal fields are null, without an error, for viewers "
        "outside their audience in the personal-data registry."
    ),
)
class UserType(relay.Node, UserPaymentFields):
    id: relay.NodeID[int]
    email: str | None = _personal("email", "Contact address; its owner and VIEW_PII staff.")
    email_verified: bool | None = _personal(
        "email_verified", "Whether the owner confirmed the address; marketing needs it."
    )
    name: str | None = _personal("name", "Display name.")
    timezone: str | None = _personal("timezone", "IANA time zone, e.g. Europe/Paris.")
    language: str | None = _personal("language", "Preferred language tag, e.g. en.")
    bio: str | None = _personal("bio", "Free text about the person.")
    expertise: list[str] | None = _personal("expertise", "Expertise tags.")
    created_at: datetime = strawberry.field(description="When the account was created.")

    @strawberry.field(
        description="Address of the profile photo.",
        extensions=registry_visibility(User, "photo_key"),
    )
    def photo_url(self, root: User, info: Info) -> str | None:
        if not root.photo_key:
            return None
        return f"{info.context.runtime.settings.public_url}/media/{root.photo_key}"

    @strawberry.field(
        description="Staff permissions the user holds; visible to the user only.",
        extensions=[owner_only()],
    )
    def staff_permissions(self, root: User) -> list[StaffPermissionEnum] | None:  # type: ignore[valid-type]
        return [StaffPermission(p) for p in root.staff_permissions]

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, User)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[User | None]:
        row_ids = [as_row_id(key) for key in node_ids]
        wanted = [row_id for row_id in row_ids if row_id is not None]
        loaded = dict(zip(wanted, await info.context.loaders.user.load_many(wanted), strict=True))
        access = info.context.field_access
        found: list[User | None] = []
        for row_id in row_ids:
            user = loaded.get(row_id) if row_id is not None else None
            visible = user is not None and user.is_active and await access.may_see_user(user)
            found.append(user if visible else None)
        return found

"""GraphQL types of partner apps, as staff who manage partners see them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from models.partner_apps import PartnerApp, PartnerGrant, PartnerKey
from resolvers.audit.types import AuditLogEntryConnection
from resolvers.base import PartnerScopeEnum
from resolvers.context import Info
from resolvers.nodes import ModelNode
from resolvers.pagination import After, Before, CountedConnection, First, Last
from services import partner_apps


@strawberry.type(
    name="PartnerKey",
    description="One of a partner app's API keys; the key itself is shown only when made.",
)
class PartnerKeyType(ModelNode):
    model = PartnerKey

    id: relay.NodeID[int]
    hint: str = strawberry.field(
        description="The key's first characters, to tell it apart from the app's others."
    )
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(
        description="When a rotation ends it; null while it has no end."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When staff revoked it; null while it is not revoked."
    )


@strawberry.type(
    name="PartnerApp",
    description="A third-party program that calls the API with keys of its own, limited to "
    "its scopes.",
)
class PartnerAppType(ModelNode):
    model = PartnerApp

    id: relay.NodeID[int]
    name: str = strawberry.field(description="The app's name, unique among partner apps.")
    created_at: datetime = strawberry.field(description="When staff registered it.")
    revoked_at: datetime | None = strawberry.field(
        description="When staff revoked it, with every key and grant; null while in use."
    )

    redirect_uris: list[str] = strawberry.field(
        description="Where a user's browser may return with an authorization code."
    )

    @strawberry.field(description="Its OAuth 2.0 `client_id`, for acting for users.")
    def client_id(self, root: PartnerApp) -> str:
        return partner_apps.client_id(root.id)

    @strawberry.field(description="The scopes its credentials may ever use.")
    def scopes(self, root: PartnerApp) -> list[PartnerScopeEnum]:  # type: ignore[valid-type]
        return [PartnerScopeEnum(scope) for scope in root.scopes]

    @strawberry.field(description="Its API keys, newest first, revoked and expired ones too.")
    async def keys(self, root: PartnerApp, info: Info) -> list[PartnerKeyType]:
        found = await partner_apps.keys_of(info.context.access, root.id)
        return found  # type: ignore[return-value]

    @strawberry.field(
        description="Its audit trail, newest first: what was done to it and what it did. "
        "Empty unless the viewer may read the audit log (staff, SECURITY)."
    )
    async def audit_trail(
        self,
        root: PartnerApp,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> AuditLogEntryConnection:
        return await AuditLogEntryConnection.resolve_connection(
            partner_apps.audit_trail(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
            last=last,
            before=before,
        )


@strawberry.type(name="PartnerAppConnection", description="A page of partner apps.")
class PartnerAppConnection(CountedConnection[PartnerAppType]):
    pass


@strawberry.type(
    name="PartnerGrant",
    description="A partner app the viewer lets act for them, within the scopes they granted.",
)
class PartnerGrantType(ModelNode):
    model = PartnerGrant

    id: relay.NodeID[int]
    created_at: datetime = strawberry.field(description="When the viewer consented.")
    token_expires_at: datetime | None = strawberry.field(
        description="When the app's token stops working unless revoked sooner."
    )

    @strawberry.field(description="The app's name.")
    def app_name(self, root: PartnerGrant) -> str:
        return root.app.name

    @strawberry.field(description="What the app may do for the viewer.")
    def scopes(self, root: PartnerGrant) -> list[PartnerScopeEnum]:  # type: ignore[valid-type]
        return [PartnerScopeEnum(scope) for scope in root.scopes]

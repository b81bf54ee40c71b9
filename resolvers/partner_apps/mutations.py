"""Staff manage partner apps (MANAGE_PARTNERS): create, rotate keys, revoke."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from models.partner_apps import PartnerScope
from resolvers.base import PartnerScopeEnum, Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.partner_apps.types import PartnerAppType, PartnerKeyType
from services import partner_apps

MANAGE_PARTNERS = staff(StaffPermission.MANAGE_PARTNERS)
APP_ID = "The partner app's global ID."
SHOWN_ONCE = (
    "The new API key, for `Authorization: Bearer`. Shown only in this answer and never "
    "again: only its hash is kept."
)


@strawberry.input(description="A new partner app: its name and the scopes it may use.")
class CreatePartnerAppInput:
    name: str = strawberry.field(description="Unique among partner apps, 1 to 100 characters.")
    scopes: list[PartnerScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="What its credentials may call; user scopes only ever act for a user who "
        "consented."
    )
    redirect_uris: list[str] = strawberry.field(
        default_factory=list,
        description="Where a user's browser returns with an authorization code, matched "
        "exactly: https, or http on loopback. None: the app never acts for users.",
    )


@strawberry.type(description="The result of createPartnerApp.")
class CreatePartnerAppPayload(Payload):
    partner_app: PartnerAppType | None = strawberry.field(default=None, description="The app made.")
    key: str | None = strawberry.field(default=None, description=SHOWN_ONCE)


@strawberry.input(description="Which app gets a new key, and how long its old keys still work.")
class RotatePartnerKeyInput:
    app_id: relay.GlobalID = strawberry.field(description=APP_ID)
    overlap_seconds: int = strawberry.field(
        default=86400,
        description="How long the app's other keys keep working, at most 30 days; 0 ends them "
        "at once.",
    )


@strawberry.type(description="The result of rotatePartnerKey.")
class RotatePartnerKeyPayload(Payload):
    partner_key: PartnerKeyType | None = strawberry.field(
        default=None, description="The new key's record."
    )
    key: str | None = strawberry.field(default=None, description=SHOWN_ONCE)


@strawberry.input(description="Which key to revoke.")
class RevokePartnerKeyInput:
    key_id: relay.GlobalID = strawberry.field(description="The key's global ID.")


@strawberry.type(description="The result of revokePartnerKey.")
class RevokePartnerKeyPayload(Payload):
    partner_key: PartnerKeyType | None = strawberry.field(
        default=None, description="The key, revoked."
    )


@strawberry.input(description="Which app to revoke.")
class RevokePartnerAppInput:
    app_id: relay.GlobalID = strawberry.field(description=APP_ID)


@strawberry.type(description="The result of revokePartnerApp.")
class RevokePartnerAppPayload(Payload):
    partner_app: PartnerAppType | None = strawberry.field(
        default=None, description="The app, revoked."
    )


@strawberry.type
class PartnerAppMutations:
    @mutation(
        description="Register a partner app and make its first API key (staff, "
        "MANAGE_PARTNERS). The key is in this answer only. Audited.",
        guard=MANAGE_PARTNERS,
    )
    async def create_partner_app(
        self, info: Info, actor: User, input: CreatePartnerAppInput
    ) -> CreatePartnerAppPayload:
        context = info.context
        app, issued = await partner_apps.create_app(
            context.runtime.settings.secret_key,
            input.name,
            [PartnerScope(scope) for scope in input.scopes],
            redirect_uris=input.redirect_uris,
            actor_id=actor.id,
            client=context.client,
        )
        return CreatePartnerAppPayload(partner_app=app, key=issued.raw)  # type: ignore[arg-type]

    @mutation(
        description="Give a partner app a new API key; its other keys keep working for the "
        "overlap, then expire (staff, MANAGE_PARTNERS). Audited.",
        guard=MANAGE_PARTNERS,
    )
    async def rotate_partner_key(
        self, info: Info, actor: User, input: RotatePartnerKeyInput
    ) -> RotatePartnerKeyPayload:
        context = info.context
        issued = await partner_apps.rotate_key(
            context.runtime.settings.secret_key,
            row_id(input.app_id, "PartnerApp", field="appId"),
            timedelta(seconds=input.overlap_seconds),
            actor_id=actor.id,
            client=context.client,
        )
        return RotatePartnerKeyPayload(partner_key=issued.key, key=issued.raw)  # type: ignore[arg-type]

    @mutation(
        description="Revoke one API key: refused from the next request on, by every server "
        "process (staff, MANAGE_PARTNERS). Audited.",
        guard=MANAGE_PARTNERS,
    )
    async def revoke_partner_key(
        self, info: Info, actor: User, input: RevokePartnerKeyInput
    ) -> RevokePartnerKeyPayload:
        key = await partner_apps.revoke_key(
            row_id(input.key_id, "PartnerKey", field="keyId"),
            actor_id=actor.id,
            client=info.context.client,
        )
        return RevokePartnerKeyPayload(partner_key=key)  # type: ignore[arg-type]

    @mutation(
        description="Revoke a partner app: every key of it and every user's grant to it stop "
        "working from the next request on (staff, MANAGE_PARTNERS). Audited.",
        guard=MANAGE_PARTNERS,
    )
    async def revoke_partner_app(
        self, info: Info, actor: User, input: RevokePartnerAppInput
    ) -> RevokePartnerAppPayload:
        app = await partner_apps.revoke_app(
            row_id(input.app_id, "PartnerApp", field="appId"),
            actor_id=actor.id,
            client=info.context.client,
        )
        return RevokePartnerAppPayload(partner_app=app)  # type: ignore[arg-type]

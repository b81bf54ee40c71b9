"""A user consents to a partner app acting for them (OAuth 2.0 with PKCE), sees the apps that
do, and revokes any of them."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, query
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.partner_apps.types import PartnerGrantType
from services import partner_grants, partner_oauth


@strawberry.input(
    description="An OAuth 2.0 authorization request, as the partner app sent it to "
    "`/oauth/authorize` (RFC 6749 §4.1.1, with PKCE, RFC 7636)."
)
class AuthorizePartnerAppInput:
    client_id: str = strawberry.field(description="The app's `client_id`.")
    redirect_uri: str | None = strawberry.field(
        default=None, description="One of the app's redirect URIs; needed if it has several."
    )
    scope: str = strawberry.field(description="Space-separated scopes, e.g. `user:read`.")
    state: str | None = strawberry.field(
        default=None, description="The app's value, returned to it unchanged."
    )
    code_challenge: str = strawberry.field(description="The PKCE challenge (S256).")
    code_challenge_method: str = strawberry.field(
        default="S256", description="Only `S256` is taken."
    )
    response_type: str = strawberry.field(default="code", description="Only `code` is taken.")


@strawberry.type(description="The result of authorizePartnerApp.")
class AuthorizePartnerAppPayload(Payload):
    redirect_to: str | None = strawberry.field(
        default=None,
        description="Where to send the browser: the app's redirect URI with the code and "
        "state, or with an OAuth error the app must handle.",
    )


@strawberry.input(description="Which app to stop acting for you.")
class RevokePartnerGrantInput:
    grant_id: relay.GlobalID = strawberry.field(description="The grant's global ID.")


@strawberry.type(description="The result of revokePartnerGrant.")
class RevokePartnerGrantPayload(Payload):
    partner_grant: PartnerGrantType | None = strawberry.field(
        default=None, description="The grant, revoked."
    )


@strawberry.type
class PartnerGrantQueries:
    @query(
        description="The partner apps acting for you now, with what each may do.",
        guard=SIGNED_IN,
    )
    async def partner_grants(self, info: Info, actor: User) -> list[PartnerGrantType]:
        found = await partner_grants.grants_of(info.context.access, actor)
        return found  # type: ignore[return-value]


@strawberry.type
class PartnerGrantMutations:
    @mutation(
        description="Let a partner app act for you within the scopes it asked for (never "
        "more than the app may use, never more than you may do): answers where to send the "
        "browser, with a one-time code the app exchanges at `/oauth/token`. Audited.",
        guard=SIGNED_IN,
    )
    async def authorize_partner_app(
        self, info: Info, actor: User, input: AuthorizePartnerAppInput
    ) -> AuthorizePartnerAppPayload:
        context = info.context
        parameters = {
            name: getattr(input, name) or "" for name in partner_oauth.AUTHORIZATION_PARAMETERS
        }
        redirect_to = await partner_oauth.authorize(
            context.runtime.settings.secret_key, actor, parameters, context.client
        )
        return AuthorizePartnerAppPayload(redirect_to=redirect_to)

    @mutation(
        description="Stop a partner app acting for you: its token is refused from the next "
        "request on. Audited.",
        guard=SIGNED_IN,
    )
    async def revoke_partner_grant(
        self, info: Info, actor: User, input: RevokePartnerGrantInput
    ) -> RevokePartnerGrantPayload:
        grant = await partner_grants.revoke_grant(
            actor, row_id(input.grant_id, "PartnerGrant", field="grantId"), info.context.client
        )
        return RevokePartnerGrantPayload(partner_grant=grant)  # type: ignore[arg-type]

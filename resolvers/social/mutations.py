"""Third-party login mutations: thin wrappers over ``services.social.accounts``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from services.access.viewer import Viewer
from services.social import accounts as social

if TYPE_CHECKING:
    from resolvers.accounts.types import UserType

# The User type's module shows this package's fields on User: named lazily, so the two
# packages do not import each other.
LazyUser = Annotated["UserType", strawberry.lazy("resolvers.accounts.types")]


@strawberry.input(description="The one-time code a third-party login gave an app.")
class ExchangeLoginCodeInput:
    code: str = strawberry.field(description="The `code` parameter of the redirect to `next`.")


@strawberry.type(description="The session the code stood for.")
class ExchangeLoginCodePayload(Payload):
    user: LazyUser | None = strawberry.field(default=None, description="The account.")
    token: str | None = strawberry.field(
        default=None, description="Session token for `Authorization: Bearer`."
    )


@strawberry.input(description="Which linked provider account to unlink.")
class UnlinkSocialAccountInput:
    id: relay.GlobalID = strawberry.field(description="The SocialAccount's ID.")


@strawberry.type(description="The account, without the link.")
class UnlinkSocialAccountPayload(Payload):
    pass


@strawberry.input(description="The first password of an account made by a provider.")
class SetPasswordInput:
    password: str = strawberry.field(description="The new password; the strength rule applies.")


@strawberry.type(description="The account, with its password.")
class SetPasswordPayload(Payload):
    user: LazyUser | None = strawberry.field(default=None, description="The account.")


@strawberry.type
class SocialMutations:
    @mutation(
        description="Spend an app's one-time login code (valid once, for two minutes) for a "
        "session token."
    )
    async def exchange_login_code(
        self, info: Info, input: ExchangeLoginCodeInput
    ) -> ExchangeLoginCodePayload:
        context = info.context
        user, token, session = await social.exchange_login_code(
            context.runtime, input.code, context.client
        )
        context.replace_viewer(Viewer(user=user, session=session))
        return ExchangeLoginCodePayload(user=user, token=token)  # type: ignore[arg-type]

    @mutation(
        description="Unlink a provider account; refused (LAST_LOGIN_METHOD) when it is your "
        "only way to log in.",
        guard=SIGNED_IN,
    )
    async def unlink_social_account(
        self, info: Info, actor: User, input: UnlinkSocialAccountInput
    ) -> UnlinkSocialAccountPayload:
        account_id = row_id_or_none(input.id, "SocialAccount")
        await social.unlink(actor, account_id, info.context.client)
        return UnlinkSocialAccountPayload()

    @mutation(
        description="Set the first password of an account made by a provider; an account "
        "with one changes it with changePassword (PASSWORD_ALREADY_SET).",
        guard=SIGNED_IN,
    )
    async def set_password(
        self, info: Info, actor: User, input: SetPasswordInput
    ) -> SetPasswordPayload:
        context = info.context
        await social.set_password(context.runtime, actor, input.password, context.client)
        return SetPasswordPayload(user=actor)  # type: ignore[arg-type]

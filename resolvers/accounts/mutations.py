"""Identity mutations: thin wrappers over ``services.accounts`` and ``services.profiles``."""

from __future__ import annotations

from typing import BinaryIO, cast

import strawberry
from strawberry.file_uploads import Upload

from models.accounts import User
from resolvers.accounts.types import UserType
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields
from resolvers.context import Info
from resolvers.privacy.types import ConsentPurposeEnum
from services import accounts, profiles
from services.access.viewer import ANONYMOUS, Viewer


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str = ""
    consents: list[ConsentPurposeEnum] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="Optional purposes granted on the sign-up form; the rest stay off.",
    )


@strawberry.type
class SignUpPayload(Payload):
    user: UserType | None = strawberry.field(
        default=None,
        description=(
            "Always null: the answer is the same whether or not the address already had an "
            "account, so nobody can probe who is registered. Log in to reach the account."
        ),
    )


@strawberry.input
class VerifyEmailInput:
    token: str


@strawberry.type
class UserPayload(Payload):
    user: UserType | None = None


@strawberry.input
class LogInInput:
    email: str
    password: str


@strawberry.type
class LogInPayload(Payload):
    user: UserType | None = None
    token: str | None = strawberry.field(
        default=None, description="Session token for `Authorization: Bearer`."
    )
    csrf_token: str | None = strawberry.field(
        default=None,
        description="Send as the X-CSRF-Token header on mutations authenticated by the cookie.",
    )


@strawberry.type
class LogOutPayload(Payload):
    revoked_sessions: int = 0


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class RequestPasswordResetInput:
    email: str


@strawberry.input
class ResetPasswordInput:
    token: str
    new_password: str


@strawberry.input
class UpdateProfileInput:
    """Send only the fields to change; null clears a field."""

    name: str | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET
    expertise: list[str] | None = strawberry.UNSET


@strawberry.input
class UploadProfilePhotoInput:
    photo: Upload


def _uploaded_bytes(upload: Upload) -> bytes:
    """Strawberry's aiohttp view hands each multipart file over as an in-memory ``BytesIO``."""
    return cast(BinaryIO, upload).read()


@strawberry.type
class AccountMutations:
    @mutation(description="Create an account; a verification link is mailed. Log in afterwards.")
    async def sign_up(self, info: Info, input: SignUpInput) -> SignUpPayload:
        context = info.context
        await accounts.sign_up(
            context.runtime,
            email=input.email,
            password=input.password,
            name=input.name,
            client=context.client,
            visitor=await context.visitor(start=False),
            granted=frozenset(input.consents),
        )
        return SignUpPayload()

    @mutation(description="Confirm an email address with the mailed token.")
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> UserPayload:
        user = await accounts.verify_email(input.token, info.context.client)
        # The token proves the mailbox: its holder reads the account it just verified.
        info.context.access.prove_holder(user)
        return UserPayload(user=user)  # type: ignore[arg-type]

    @mutation(description="Open a session: returns a bearer token and sets the session cookie.")
    async def log_in(self, info: Info, input: LogInInput) -> LogInPayload:
        context = info.context
        user, token, session = await accounts.log_in(
            context.runtime,
            email=input.email,
            password=input.password,
            client=context.client,
            visitor=await context.visitor(start=False),
        )
        csrf_token = context.cookies.set(token)
        context.replace_viewer(Viewer(user=user, session=session))
        return LogInPayload(user=user, token=token, csrf_token=csrf_token)  # type: ignore[arg-type]

    @mutation(description="End this session.", guard=SIGNED_IN)
    async def log_out(self, info: Info, actor: User) -> LogOutPayload:
        context = info.context
        if context.viewer.session is not None:
            await accounts.log_out(context.viewer.session, context.client)
        context.cookies.clear()
        context.replace_viewer(ANONYMOUS)
        return LogOutPayload(revoked_sessions=1)

    @mutation(
        description="End every session of this account, this one included.",
        guard=SIGNED_IN,
    )
    async def log_out_everywhere(self, info: Info, actor: User) -> LogOutPayload:
        context = info.context
        revoked = await accounts.revoke_sessions(actor, context.client, reason="log out everywhere")
        context.cookies.clear()
        context.replace_viewer(ANONYMOUS)
        return LogOutPayload(revoked_sessions=revoked)

    @mutation(
        description="Change the password; every other session is revoked.",
        guard=SIGNED_IN,
    )
    async def change_password(
        self, info: Info, actor: User, input: ChangePasswordInput
    ) -> UserPayload:
        context = info.context
        await accounts.change_password(
            context.runtime,
            actor,
            context.viewer.session,
            current_password=input.current_password,
            new_password=input.new_password,
            client=context.client,
        )
        return UserPayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Mail a reset link if the address has an account; the answer is the same."
    )
    async def request_password_reset(self, info: Info, input: RequestPasswordResetInput) -> Payload:
        context = info.context
        await accounts.request_password_reset(
            context.runtime, email=input.email, client=context.client
        )
        return Payload()

    @mutation(description="Choose a new password with a mailed token; all sessions end.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> UserPayload:
        context = info.context
        user = await accounts.reset_password(
            context.runtime,
            token=input.token,
            new_password=input.new_password,
            client=context.client,
        )
        return UserPayload(user=user)  # type: ignore[arg-type]

    @mutation(
        description="Edit your profile (P21). Send only what changes; null clears a field (P22).",
        guard=SIGNED_IN,
    )
    async def update_profile(
        self, info: Info, actor: User, input: UpdateProfileInput
    ) -> UserPayload:
        sent = sent_fields(input)
        changes = profiles.ProfileChanges(sent=frozenset(sent), **sent)
        await profiles.update_profile(actor, changes)
        return UserPayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Upload a PNG, JPEG or WebP profile photo (GraphQL multipart request).",
        guard=SIGNED_IN,
    )
    async def upload_profile_photo(
        self, info: Info, actor: User, input: UploadProfilePhotoInput
    ) -> UserPayload:
        await profiles.set_profile_photo(info.context.runtime, actor, _uploaded_bytes(input.photo))
        return UserPayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Remove your profile photo; the file is deleted.",
        guard=SIGNED_IN,
    )
    async def remove_profile_photo(self, info: Info, actor: User) -> UserPayload:
        await profiles.remove_profile_photo(info.context.runtime, actor)
        return UserPayload(user=actor)  # type: ignore[arg-type]

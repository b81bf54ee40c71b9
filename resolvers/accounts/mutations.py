"""Identity mutations: thin wrappers over ``services.accounts`` and ``services.profiles``."""

from __future__ import annotations

from typing import BinaryIO, cast

import strawberry
from strawberry.file_uploads import Upload

from core import limits
from models.accounts import User
from models.partner_apps import PartnerScope
from resolvers.accounts.types import UserType
from resolvers.base import SIGNED_IN, Payload, described_enum, mutation, sent_fields
from resolvers.context import Info
from resolvers.privacy.types import ConsentPurposeEnum
from services import accounts, profiles
from services.access.viewer import ANONYMOUS, Viewer
from services.accounts import SessionKind

NEW_PASSWORD = (
    f"{limits.MIN_PASSWORD_LENGTH} to {limits.MAX_PASSWORD_LENGTH} characters and hard to guess: "
    "common words, patterns and your own name are refused as WEAK_PASSWORD."
)


@strawberry.input(description="A new account's address, password and name.")
class SignUpInput:
    email: str = strawberry.field(
        description="Where the verification link is mailed; also the log-in."
    )
    password: str = strawberry.field(description=NEW_PASSWORD)
    name: str = strawberry.field(
        default="",
        description=f"Display name, at most {limits.MAX_NAME_LENGTH} characters; may be empty.",
    )
    consents: list[ConsentPurposeEnum] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="Optional purposes granted on the sign-up form; the rest stay off.",
    )


@strawberry.type(description="What `signUp` answers: the same whether or not it made an account.")
class SignUpPayload(Payload):
    user: UserType | None = strawberry.field(
        default=None,
        description=(
            "Always null: the answer is the same whether or not the address already had an "
            "account, so nobody can probe who is registered. Log in to reach the account."
        ),
    )


@strawberry.input(description="The token of a verification link.")
class VerifyEmailInput:
    token: str = strawberry.field(description="The `token` parameter of the mailed link.")


@strawberry.type
class UserResult(Payload):
    """The shape of a payload that answers with the account acted on."""

    user: UserType | None = strawberry.field(
        default=None, description="The account as it is now; null when `errors` says why not."
    )


@strawberry.type(description="What `verifyEmail` answers: the account whose address is confirmed.")
class VerifyEmailPayload(UserResult):
    pass


SessionKindEnum = described_enum(
    SessionKind,
    name="SessionKind",
    description="How the client holds the session `logIn` opens.",
    values={
        SessionKind.COOKIE: "A browser: the session is an HttpOnly cookie that page scripts "
        "cannot read; the answer has no `token`, only the `csrfToken` to send as X-CSRF-Token "
        "on mutations.",
        SessionKind.TOKEN: "An app: the answer's `token` is sent as `Authorization: Bearer`; "
        "no cookie is set.",
    },
)


@strawberry.input(description="The credentials of an account, and how to hold the session.")
class LogInInput:
    email: str = strawberry.field(description="The account's address, in any letter case.")
    password: str = strawberry.field(description="The account's password.")
    session: SessionKindEnum = strawberry.field(  # type: ignore[valid-type]
        default=SessionKind.COOKIE,
        description="COOKIE (the default: a token in an answer is readable by any script of "
        "the page) or TOKEN for an app that keeps the token itself.",
    )


@strawberry.type(description="What `logIn` answers: the session's token or CSRF token, or why not.")
class LogInPayload(UserResult):
    token: str | None = strawberry.field(
        default=None,
        description="Session token for `Authorization: Bearer`; only for a TOKEN session.",
    )
    csrf_token: str | None = strawberry.field(
        default=None,
        description="Send as the X-CSRF-Token header on mutations authenticated by the cookie; "
        "only for a COOKIE session.",
    )


@strawberry.type
class SessionsEnded(Payload):
    """The shape of a payload that answers how many sessions were ended."""

    revoked_sessions: int = strawberry.field(
        default=0, description="How many sessions ended, this one included."
    )


@strawberry.type(description="What `logOut` answers; the session cookie is cleared.")
class LogOutPayload(SessionsEnded):
    pass


@strawberry.type(description="What `logOutEverywhere` answers; the session cookie is cleared.")
class LogOutEverywherePayload(SessionsEnded):
    pass


@strawberry.input(description="The password now and the one to replace it.")
class ChangePasswordInput:
    current_password: str = strawberry.field(description="The password in use, to prove it is you.")
    new_password: str = strawberry.field(description=NEW_PASSWORD)


@strawberry.type(description="What `changePassword` answers: your account; this session stays.")
class ChangePasswordPayload(UserResult):
    pass


@strawberry.input(description="The address to mail a reset link to.")
class RequestPasswordResetInput:
    email: str = strawberry.field(description="The account's address, in any letter case.")


@strawberry.type(
    description="What `requestPasswordReset` answers: the same whether or not the address has "
    "an account."
)
class RequestPasswordResetPayload(Payload):
    pass


@strawberry.input(description="A mailed reset token and the new password.")
class ResetPasswordInput:
    token: str = strawberry.field(description="The `token` parameter of the mailed reset link.")
    new_password: str = strawberry.field(description=NEW_PASSWORD)


@strawberry.type(description="What `resetPassword` answers: the account; log in again with it.")
class ResetPasswordPayload(UserResult):
    pass


@strawberry.input(description="Send only the fields to change; null clears a field.")
class UpdateProfileInput:
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Display name.")
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA time zone, e.g. Europe/Paris."
    )
    language: str | None = strawberry.field(
        default=strawberry.UNSET, description="Preferred language tag, e.g. en or pt-BR."
    )
    bio: str | None = strawberry.field(
        default=strawberry.UNSET, description="Free text about you, shown on your profile."
    )
    expertise: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Expertise tags, e.g. python; the list replaces the old one.",
    )


@strawberry.type(description="What `updateProfile` answers: your profile as it now is.")
class UpdateProfilePayload(UserResult):
    pass


@strawberry.input(description="A profile photo, sent as a GraphQL multipart request file.")
class UploadProfilePhotoInput:
    photo: Upload = strawberry.field(
        description=f"A PNG, JPEG or WebP image of at most {limits.MAX_UPLOAD_BYTES // 2**20} MiB; "
        "it is stored re-encoded, without its metadata (EXIF, GPS). "
        "The multipart map names it `variables.input.photo`."
    )


@strawberry.type(description="What `uploadProfilePhoto` answers: your profile with its new photo.")
class UploadProfilePhotoPayload(UserResult):
    pass


@strawberry.type(description="What `removeProfilePhoto` answers: your profile without a photo.")
class RemoveProfilePhotoPayload(UserResult):
    pass


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

    @mutation(
        description="Confirm an email address with the mailed token. The token proves the "
        "mailbox: its holder, signed in or not, reads the account it confirmed."
    )
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> VerifyEmailPayload:
        user = await accounts.verify_email(input.token, info.context.client)
        # The token proves the mailbox: its holder reads the account it just verified.
        info.context.access.prove_holder(user)
        return VerifyEmailPayload(user=user)  # type: ignore[arg-type]

    @mutation(
        description="Open a session: by default an HttpOnly session cookie (and its CSRF "
        "token); with `session: TOKEN` a bearer token in the answer, and no cookie."
    )
    async def log_in(self, info: Info, input: LogInInput) -> LogInPayload:
        context = info.context
        user, token, session = await accounts.log_in(
            context.runtime,
            email=input.email,
            password=input.password,
            client=context.client,
            visitor=await context.visitor(start=False),
        )
        context.replace_viewer(Viewer(user=user, session=session))
        if input.session is SessionKind.TOKEN:
            return LogInPayload(user=user, token=token)  # type: ignore[arg-type]
        csrf_token = context.cookies.set(token)
        return LogInPayload(user=user, csrf_token=csrf_token)

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
    async def log_out_everywhere(self, info: Info, actor: User) -> LogOutEverywherePayload:
        context = info.context
        revoked = await accounts.revoke_sessions(actor, context.client, reason="log out everywhere")
        context.cookies.clear()
        context.replace_viewer(ANONYMOUS)
        return LogOutEverywherePayload(revoked_sessions=revoked)

    @mutation(
        description="Change the password; every other session is revoked.",
        guard=SIGNED_IN,
    )
    async def change_password(
        self, info: Info, actor: User, input: ChangePasswordInput
    ) -> ChangePasswordPayload:
        context = info.context
        await accounts.change_password(
            context.runtime,
            actor,
            context.viewer.session,
            current_password=input.current_password,
            new_password=input.new_password,
            client=context.client,
        )
        return ChangePasswordPayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Mail a reset link if the address has an account; the answer is the same."
    )
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> RequestPasswordResetPayload:
        context = info.context
        await accounts.request_password_reset(
            context.runtime, email=input.email, client=context.client
        )
        return RequestPasswordResetPayload()

    @mutation(description="Choose a new password with a mailed token; all sessions end.")
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        context = info.context
        user = await accounts.reset_password(
            context.runtime,
            token=input.token,
            new_password=input.new_password,
            client=context.client,
        )
        return ResetPasswordPayload(user=user)  # type: ignore[arg-type]

    @mutation(
        description="Edit your profile. Send only what changes; null clears a field.",
        guard=SIGNED_IN,
        scope=PartnerScope.USER_WRITE,
    )
    async def update_profile(
        self, info: Info, actor: User, input: UpdateProfileInput
    ) -> UpdateProfilePayload:
        sent = sent_fields(input)
        changes = profiles.ProfileChanges(sent=frozenset(sent), **sent)
        await profiles.update_profile(actor, changes)
        return UpdateProfilePayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Upload a PNG, JPEG or WebP profile photo (GraphQL multipart request).",
        guard=SIGNED_IN,
    )
    async def upload_profile_photo(
        self, info: Info, actor: User, input: UploadProfilePhotoInput
    ) -> UploadProfilePhotoPayload:
        await profiles.set_profile_photo(info.context.runtime, actor, _uploaded_bytes(input.photo))
        return UploadProfilePhotoPayload(user=actor)  # type: ignore[arg-type]

    @mutation(
        description="Remove your profile photo; the file is deleted.",
        guard=SIGNED_IN,
    )
    async def remove_profile_photo(self, info: Info, actor: User) -> RemoveProfilePhotoPayload:
        await profiles.remove_profile_photo(info.context.runtime, actor)
        return RemoveProfilePhotoPayload(user=actor)  # type: ignore[arg-type]

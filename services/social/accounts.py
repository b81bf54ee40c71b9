"""What a third-party login means for our accounts: sign up, log in or link; never a takeover.

Issue 11's rules: a provider identity we do not know, whose verified email matches an
account, is not merged: the person logs in to that account and links the provider from
there. An unverified provider email never matches an account (and its new account is not
verified). A new account has no password until ``setPassword``. Only what the provider sent
is imported, each value recorded with its provider and time (P8, P9).
"""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, DomainError, ErrorCode
from core.runtime import Runtime
from core.settings import OIDC_BACKEND, SocialProvider
from models.accounts import Session, User
from models.audit import AuditAction, LoginMethod
from models.social import ImportedField, SocialAccount, SocialImport, SocialLoginCode
from services import accounts, audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.passwords import check_strength
from services.privacy import policy
from services.security import logins
from services.social import photos
from services.social.integration import Identity
from services.tokens import new_token, token_digest
from services.transactions import transaction

METHODS = {
    "google-oauth2": LoginMethod.GOOGLE,
    "github": LoginMethod.GITHUB,
    "twitter-oauth2": LoginMethod.X,
    OIDC_BACKEND: LoginMethod.OPENID_CONNECT,
}


def method_of(provider: SocialProvider) -> LoginMethod:
    return METHODS[provider.backend]


async def _import(user: User, provider: SocialProvider, fields: list[ImportedField]) -> None:
    for field in fields:
        await SocialImport.create(user_id=user.id, provider=provider.name, field=field)


async def _link(
    user: User, provider: SocialProvider, identity: Identity, client: ClientInfo
) -> None:
    try:
        await SocialAccount.create(user_id=user.id, provider=provider.name, uid=identity.uid)
    except IntegrityError:
        raise _taken() from None
    await audit.record(
        AuditAction.SOCIAL_ACCOUNT_LINKED,
        actor_id=user.id,
        subject_id=user.id,
        detail={"provider": provider.name},
        request_id=client.request_id,
    )


def _taken() -> Conflict:
    return Conflict(
        "This provider account is linked to another account already.",
        code=ErrorCode.SOCIAL_ACCOUNT_TAKEN,
    )


async def _import_photo(
    runtime: Runtime, user: User, provider: SocialProvider, identity: Identity
) -> None:
    """The provider's picture into a profile without a photo, recorded as imported; nothing
    when it sent none or the picture was refused (the log-in goes on)."""
    if await photos.import_picture(runtime, user, provider, identity.picture):
        await _import(user, provider, [ImportedField.PHOTO])


async def _link_to(
    runtime: Runtime,
    user: User,
    provider: SocialProvider,
    identity: Identity,
    client: ClientInfo,
) -> User:
    """Link to the signed-in account; its name and photo are filled in only when it has
    none."""
    known = await SocialAccount.get_or_none(provider=provider.name, uid=identity.uid)
    if known is not None:
        if known.user_id != user.id:
            raise _taken()
        return user
    async with transaction():
        await _link(user, provider, identity, client)
        if identity.name and not user.name:
            user.name = identity.name[: limits.MAX_NAME_LENGTH]
            await user.save(update_fields=["name", "updated_at"])
            await _import(user, provider, [ImportedField.NAME])
    await _import_photo(runtime, user, provider, identity)
    return user


async def _sign_up(
    runtime: Runtime, provider: SocialProvider, identity: Identity, client: ClientInfo
) -> User:
    if identity.email is None:
        raise DomainError(
            "The provider did not send an email address: sign up another way, then link it.",
            code=ErrorCode.EMAIL_REQUIRED,
        )
    email = accounts.normalize_email(identity.email)
    if await User.exists(email=email):
        # Verified or not, never a merge: the account's owner logs in and links from there.
        raise _account_exists()
    name = (identity.name or "")[: limits.MAX_NAME_LENGTH]
    try:
        user = await _create_account(runtime, provider, identity, email, name, client)
    except IntegrityError:
        raise _account_exists() from None  # the address was taken a moment ago
    # After the account's transaction: no transaction stays open while the picture comes.
    await _import_photo(runtime, user, provider, identity)
    return user


def _account_exists() -> DomainError:
    return DomainError(
        "An account uses this email address: log in to it, then link this provider.",
        code=ErrorCode.ACCOUNT_EXISTS,
    )


async def _create_account(
    runtime: Runtime,
    provider: SocialProvider,
    identity: Identity,
    email: str,
    name: str,
    client: ClientInfo,
) -> User:
    """The account, its link and import records, the policy accepted, the sign-up audited,
    and a verification link when the provider did not vouch for the address."""
    async with transaction():
        user = await User.create(
            email=email, email_verified=identity.email_verified, name=name, password_hash=None
        )
        await _link(user, provider, identity, client)
        await _import(
            user, provider, [ImportedField.EMAIL] + ([ImportedField.NAME] if name else [])
        )
        await policy.accept_at_sign_up(user.id)
        if not identity.email_verified:
            await accounts.send_verification(runtime, user)
        await audit.record(
            AuditAction.SIGN_UP,
            actor_id=user.id,
            subject_id=user.id,
            detail={"method": method_of(provider).value, "provider": provider.name},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    await runtime.outbox.wake()
    return user


async def account_for(
    runtime: Runtime,
    provider: SocialProvider,
    identity: Identity,
    client: ClientInfo,
    *,
    linking: User | None,
) -> User:
    """The account this provider identity logs in to: the signed-in one it is linked to now
    (``linking``), the one it was linked to before, or a new one."""
    if linking is not None:
        return await _link_to(runtime, linking, provider, identity, client)
    known = (
        await SocialAccount.filter(provider=provider.name, uid=identity.uid)
        .select_related("user")
        .first()
    )
    if known is None:
        return await _sign_up(runtime, provider, identity, client)
    user: User = known.user
    await accounts.refuse_inactive(user, client, method_of(provider))
    return user


async def open_session(
    runtime: Runtime, user: User, provider: SocialProvider, client: ClientInfo
) -> tuple[str, Session]:
    """A session for the provider's log-in, audited with its method (and a new device's
    notice), as ``logIn`` does."""
    async with transaction():
        raw, session = await accounts.start_session(runtime, user, client)
        await logins.record_log_in(user, client, method_of(provider))
    return raw, session


async def issue_login_code(runtime: Runtime, user: User, provider: SocialProvider) -> str:
    """A one-time code an app exchanges for a session (``exchange_login_code``)."""
    raw = new_token()
    await SocialLoginCode.create(
        user_id=user.id,
        code_hash=token_digest(raw),
        provider=provider.name,
        expires_at=clock.now() + runtime.settings.social_login_code_lifetime,
    )
    return raw


def _invalid_code() -> BadUserInput:
    return BadUserInput(
        "This login code is invalid, used or expired.", field="code", code=ErrorCode.INVALID_TOKEN
    )


async def exchange_login_code(
    runtime: Runtime, raw: str, client: ClientInfo
) -> tuple[User, str, Session]:
    """Spend a login code, once, for a session of its account."""
    now = clock.now()
    found = await SocialLoginCode.get_or_none(code_hash=token_digest(raw))
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise _invalid_code()
    spent = await SocialLoginCode.filter(id=found.id, used_at__isnull=True).update(used_at=now)
    provider = runtime.settings.social_provider(found.provider)
    user = await User.get_or_none(id=found.user_id)
    if not spent or provider is None or user is None:
        raise _invalid_code()
    await accounts.refuse_inactive(user, client, method_of(provider))
    raw_session, session = await open_session(runtime, user, provider, client)
    return user, raw_session, session


def linked_accounts(access: Access, user_id: int) -> QuerySet[SocialAccount]:
    """The user's linked provider accounts, oldest first, as the registry lets ``access``
    see them."""
    return access.visible(SocialAccount).filter(user_id=user_id).order_by("linked_at", "id")


async def imports_of(access: Access, account: SocialAccount) -> list[SocialImport]:
    """What the account's provider filled in, oldest first, as ``access`` may see it."""
    found = access.visible(SocialImport).filter(user_id=account.user_id, provider=account.provider)
    return await found.order_by("imported_at", "id")


async def unlink(user: User, account_id: int | None, client: ClientInfo) -> None:
    """Remove a link, unless it is the account's last way to log in."""
    account = (
        await SocialAccount.get_or_none(id=account_id, user_id=user.id) if account_id else None
    )
    if account is None:
        raise BadUserInput("No such linked account.", field="id", code=ErrorCode.NOT_FOUND)
    others = await SocialAccount.filter(user_id=user.id).exclude(id=account.id).count()
    if user.password_hash is None and others == 0:
        raise DomainError(
            "This is your only way to log in: set a password or link another provider first.",
            field="id",
            code=ErrorCode.LAST_LOGIN_METHOD,
        )
    async with transaction():
        await SocialAccount.filter(id=account.id).delete()
        await audit.record(
            AuditAction.SOCIAL_ACCOUNT_UNLINKED,
            actor_id=user.id,
            subject_id=user.id,
            detail={"provider": account.provider},
            request_id=client.request_id,
        )


async def set_password(runtime: Runtime, user: User, password: str, client: ClientInfo) -> None:
    """The first password of an account made by a provider; with one, changePassword."""
    if user.password_hash is not None:
        raise Conflict(
            "This account has a password: change it with changePassword.",
            field="password",
            code=ErrorCode.PASSWORD_ALREADY_SET,
        )
    check_strength(password, field="password", personal_words=[user.email, *user.name.split()])
    password_hash = await runtime.passwords.hash(password)
    async with transaction():
        updated = await User.filter(id=user.id, password_hash__isnull=True).update(
            password_hash=password_hash, updated_at=clock.now()
        )
        if not updated:
            raise Conflict(
                "This account has a password: change it with changePassword.",
                field="password",
                code=ErrorCode.PASSWORD_ALREADY_SET,
            )
        await audit.record(
            AuditAction.PASSWORD_SET,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )
    user.password_hash = password_hash

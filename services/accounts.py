"""Accounts: sign-up, email verification, log-in, sessions and passwords.

Sessions are opaque random tokens; only their SHA-256 is stored, so a database leak does not
hand out live sessions. Sign-up and password reset answer the same whether or not an address
is registered, so nobody can probe who has an account.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from core import clock, limits
from core.errors import BadUserInput, DomainError, ErrorCode, RateLimited
from core.runtime import Budget, Runtime
from models.accounts import EmailToken, EmailTokenPurpose, Session, User
from models.audit import AuditAction, LoginMethod
from models.deletion import AccountDeletion, DeletionStatus
from models.privacy import ConsentPurpose, Visitor
from services import audit
from services.client import ClientInfo
from services.email import enqueue_email
from services.passwords import check_strength
from services.privacy import consents, policy, visitors
from services.privacy.consents import Subject
from services.security import logins, stuffing
from services.tokens import new_token, token_digest
from services.transactions import transaction


class SessionKind(StrEnum):
    """How a client holds the session it opens: a browser in an HttpOnly cookie (the token
    never reaches a page script), an app as a bearer token it keeps itself."""

    COOKIE = "COOKIE"
    TOKEN = "TOKEN"


# No spaces and no control characters anywhere: a mail relay refuses them.
EMAIL_PATTERN = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
INVALID_CREDENTIALS = "Email or password is incorrect."


def normalize_email(raw: str, *, field: str = "email") -> str:
    email = raw.strip().lower()
    if len(email) > limits.MAX_EMAIL_LENGTH or not EMAIL_PATTERN.match(email):
        raise BadUserInput("Enter a valid email address.", field=field)
    return email


def _personal_words(email: str, name: str) -> list[str]:
    return [email, email.split("@")[0], *name.split()]


async def _take(runtime: Runtime, key: str, budget: Budget) -> None:
    """Count one attempt against ``key``; RATE_LIMITED once it is over the budget."""
    wait = await runtime.throttle.take(key, budget)
    if wait:
        raise RateLimited(wait)


def _mail_budget(runtime: Runtime) -> Budget:
    return Budget(runtime.settings.mails_per_address, runtime.settings.throttle_window)


def _login_budget(runtime: Runtime) -> Budget:
    return Budget(runtime.settings.login_failures_per_account, runtime.settings.throttle_window)


def _ip_key(kind: str, client: ClientInfo) -> str:
    return f"{kind}:ip:{client.ip_prefix or 'unknown'}"


def _account_key(kind: str, email: str) -> str:
    return f"{kind}:account:{token_digest(email)}"


async def sign_up(
    runtime: Runtime,
    *,
    email: str,
    password: str,
    name: str,
    client: ClientInfo,
    visitor: Visitor | None = None,
    granted: frozenset[ConsentPurpose] = frozenset(),
) -> None:
    """Create an account and mail a verification link; a taken address gets a notice instead.

    The new account takes the choices this browser made as a visitor, and the consents granted
    on the sign-up form (``SIGN_UP``), and accepts the privacy policy in force; a taken address
    takes none of them.
    """
    settings = runtime.settings
    email = normalize_email(email)
    name = name.strip()
    if len(name) > limits.MAX_NAME_LENGTH:
        raise BadUserInput(f"Use at most {limits.MAX_NAME_LENGTH} characters.", field="name")
    check_strength(password, field="password", personal_words=_personal_words(email, name))
    signup_budget = Budget(settings.signups_per_ip, settings.throttle_window)
    await _take(runtime, _ip_key("signup", client), signup_budget)
    # Counted whether or not the address has an account, so the limit reveals nothing.
    await _take(runtime, _account_key("signup", email), _mail_budget(runtime))
    password_hash = await runtime.passwords.hash(password)
    async with transaction():
        existing = await User.get_or_none(email=email)
        if existing is not None:
            await enqueue_email(
                existing,
                "Someone tried to sign up with your address",
                "Someone tried to create a mentor-api account with this email address, which "
                "already has one. If it was you, log in or reset your password. If not, you "
                "can ignore this message.",
            )
        else:
            user = await User.create(email=email, name=name, password_hash=password_hash)
            if visitor is not None:
                await visitors.attach(visitor, user.id)
            await consents.grant_at_sign_up(Subject(user_id=user.id), granted)
            await policy.accept_at_sign_up(user.id)
            await _send_verification(runtime, user)
            await audit.record(
                AuditAction.SIGN_UP,
                actor_id=user.id,
                subject_id=user.id,
                ip_prefix=client.ip_prefix,
                request_id=client.request_id,
            )
    await runtime.outbox.wake()


async def issue_email_token(
    runtime: Runtime, user: User, purpose: EmailTokenPurpose, *, until: datetime | None = None
) -> str:
    """A one-time token to mail, valid for the email-token lifetime or ``until``."""
    raw = new_token()
    await EmailToken.create(
        user_id=user.id,
        purpose=purpose,
        token_hash=token_digest(raw),
        expires_at=until or clock.now() + runtime.settings.email_token_lifetime,
    )
    return raw


async def _send_verification(runtime: Runtime, user: User) -> None:
    raw = await issue_email_token(runtime, user, EmailTokenPurpose.VERIFY_EMAIL)
    link = runtime.settings.web_app_link("verify", token=raw)
    await enqueue_email(
        user,
        "Verify your email address",
        f"Welcome to mentor-api. Confirm this address by opening this link:\n\n{link}\n\n"
        f"Or send this token with the verifyEmail mutation:\n\n{raw}\n",
    )


def invalid_token() -> BadUserInput:
    return BadUserInput(
        "This link is invalid or has expired.", field="token", code=ErrorCode.INVALID_TOKEN
    )


async def spend_email_token(
    raw: str, purpose: EmailTokenPurpose, *, active_only: bool = True
) -> User:
    """Use a token once; unknown, spent, expired and wrong-purpose tokens look alike. Only an
    active account's tokens count, unless ``active_only`` is off (cancelling a deletion)."""
    token = (
        await EmailToken.filter(token_hash=token_digest(raw), purpose=purpose)
        .select_for_update()
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        raise invalid_token()
    updated = await EmailToken.filter(id=token.id, used_at__isnull=True).update(used_at=clock.now())
    if not updated:
        raise invalid_token()
    users = User.filter(id=token.user_id)
    user = await (users.filter(is_active=True) if active_only else users).first()
    if user is None:
        raise invalid_token()
    return user


async def void_email_tokens(user_id: int, *purposes: EmailTokenPurpose) -> None:
    """Spend every unused token of these purposes: no link mailed before may act any more."""
    await EmailToken.filter(user_id=user_id, purpose__in=purposes, used_at__isnull=True).update(
        used_at=clock.now()
    )


async def _void_reset_tokens(user: User) -> None:
    """Once the password changes, no reset link mailed before may set it again."""
    await void_email_tokens(user.id, EmailTokenPurpose.RESET_PASSWORD)


async def verify_email(token: str, client: ClientInfo) -> User:
    async with transaction():
        user = await spend_email_token(token, EmailTokenPurpose.VERIFY_EMAIL)
        user.email_verified = True
        await user.save(update_fields=["email_verified", "updated_at"])
        await audit.record(
            AuditAction.EMAIL_VERIFIED,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )
    return user


async def start_session(runtime: Runtime, user: User, client: ClientInfo) -> tuple[str, Session]:
    raw = new_token()
    session = await Session.create(
        user_id=user.id,
        token_hash=token_digest(raw),
        expires_at=clock.now() + runtime.settings.session_lifetime,
        ip_prefix=client.ip_prefix,
        user_agent=(client.user_agent or "")[:255] or None,
    )
    return raw, session


async def log_in(
    runtime: Runtime,
    *,
    email: str,
    password: str,
    client: ClientInfo,
    visitor: Visitor | None = None,
) -> tuple[User, str, Session]:
    """Check the password under per-IP and per-account failure budgets, then open a session.

    Each attempt is counted before the password is checked and given back when it succeeds,
    so only failures stay counted and a burst of parallel guesses meets the limit too. A
    failure also counts towards its network's credential-stuffing tally; a success from a
    new device is announced to the user (``services.security``).
    """
    settings = runtime.settings
    email = normalize_email(email)
    account_key = _account_key("login", email)
    ip_key = _ip_key("login", client)
    # The address first: a caller it has blocked must not use up another account's budget;
    # and an attempt the account's budget refuses checked no password, so the address gets it
    # back (people behind one NAT are not blocked for an account someone else locked).
    await _take(runtime, ip_key, Budget(settings.login_failures_per_ip, settings.throttle_window))
    try:
        await _take(runtime, account_key, _login_budget(runtime))
    except RateLimited:
        await runtime.throttle.give_back(ip_key)
        raise

    user = await User.get_or_none(email=email)
    password_ok = await runtime.passwords.verify(user.password_hash if user else None, password)
    if user is not None and password_ok and not user.is_active:
        await _refuse_deactivated(user, client)
        await _refuse_scheduled_for_erasure(user)
    if user is None or not password_ok or not user.is_active:
        await logins.record_failed_log_in(user, client, LoginMethod.PASSWORD)
        await stuffing.note_failed_log_in(runtime, email=email, client=client)
        raise BadUserInput(INVALID_CREDENTIALS, code=ErrorCode.INVALID_CREDENTIALS)

    await runtime.throttle.forgive(account_key)
    await runtime.throttle.give_back(ip_key)
    if user.password_hash and runtime.passwords.needs_rehash(user.password_hash):
        user.password_hash = await runtime.passwords.hash(password)
        await user.save(update_fields=["password_hash", "updated_at"])
    async with transaction():
        raw, session = await start_session(runtime, user, client)
        await logins.record_log_in(user, client, LoginMethod.PASSWORD)
    if visitor is not None:
        await visitors.attach(visitor, user.id)  # the newer choice per purpose wins
    return user, raw, session


async def refuse_inactive(user: User, client: ClientInfo, method: LoginMethod) -> None:
    """A log-in that proved who it is, into an inactive account: refused as ``log_in`` does
    (deactivated and scheduled-for-erasure accounts are told why)."""
    if user.is_active:
        return
    await _refuse_deactivated(user, client)
    await _refuse_scheduled_for_erasure(user)
    await logins.record_failed_log_in(user, client, method)
    raise BadUserInput(INVALID_CREDENTIALS, code=ErrorCode.INVALID_CREDENTIALS)


async def send_verification(runtime: Runtime, user: User) -> None:
    """Mail a link that confirms the account's address."""
    await _send_verification(runtime, user)


async def _refuse_deactivated(user: User, client: ClientInfo) -> None:
    """The right password of an account staff deactivated: say so (only the password's
    holder learns it), and keep the attempt in the audit log."""
    if user.deactivated_at is None:
        return
    await audit.record(
        AuditAction.LOGIN_FAILED,
        subject_id=user.id,
        detail={"reason": "account deactivated"},
        ip_prefix=client.ip_prefix,
        request_id=client.request_id,
    )
    raise DomainError(
        "This account has been deactivated by the platform's staff. Contact support to "
        "ask why, or to have it reactivated.",
        code=ErrorCode.ACCOUNT_DEACTIVATED,
    )


async def _refuse_scheduled_for_erasure(user: User) -> None:
    """The right password of an account scheduled for erasure: say so, and how to keep it. Any
    other inactive account is refused like a wrong password."""
    deletion = await AccountDeletion.get_or_none(user_id=user.id, status=DeletionStatus.SCHEDULED)
    if deletion is None or deletion.scheduled_erasure_at is None:
        return
    raise DomainError(
        f"This account is scheduled for erasure on {deletion.scheduled_erasure_at:%Y-%m-%d}. "
        "To keep it, open the cancel link in the mail about its deletion, or send that "
        "token with the cancelAccountDeletion mutation.",
        code=ErrorCode.ACCOUNT_SCHEDULED_FOR_ERASURE,
    )


async def session_for_token(raw: str) -> Session | None:
    """The live session a token names, with its user loaded; None when it is not live."""
    session = (
        await Session.filter(
            token_hash=token_digest(raw),
            revoked_at__isnull=True,
            expires_at__gt=clock.now(),
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )
    return session


async def log_out(session: Session, client: ClientInfo) -> None:
    await Session.filter(id=session.id).update(revoked_at=clock.now())
    await audit.record(
        AuditAction.LOGOUT,
        actor_id=session.user_id,
        subject_id=session.user_id,
        request_id=client.request_id,
    )


async def revoke_sessions(
    user: User,
    client: ClientInfo,
    *,
    keep: Session | None = None,
    reason: str,
    by: User | None = None,
) -> int:
    """Revoke every live session of ``user`` except ``keep``, by the user or (``by``) a staff
    member; returns how many."""
    live = Session.filter(user_id=user.id, revoked_at__isnull=True)
    if keep is not None:
        live = live.exclude(id=keep.id)
    revoked = await live.update(revoked_at=clock.now())
    await audit.record(
        AuditAction.SESSIONS_REVOKED,
        actor_id=(by or user).id,
        subject_id=user.id,
        detail={"count": revoked, "reason": reason},
        request_id=client.request_id,
    )
    return revoked


async def change_password(
    runtime: Runtime,
    user: User,
    session: Session | None,
    *,
    current_password: str,
    new_password: str,
    client: ClientInfo,
) -> None:
    # The login budget of the account: a stolen session must not make this a guessing oracle.
    account_key = _account_key("login", user.email)
    await _take(runtime, account_key, _login_budget(runtime))
    if not await runtime.passwords.verify(user.password_hash, current_password):
        raise BadUserInput(
            "The current password is incorrect.",
            field="currentPassword",
            code=ErrorCode.INVALID_CREDENTIALS,
        )
    await runtime.throttle.forgive(account_key)
    check_strength(
        new_password, field="newPassword", personal_words=_personal_words(user.email, user.name)
    )
    new_hash = await runtime.passwords.hash(new_password)
    async with transaction():
        await User.filter(id=user.id).update(password_hash=new_hash, updated_at=clock.now())
        await _void_reset_tokens(user)
        await revoke_sessions(user, client, keep=session, reason="password changed")
        await audit.record(
            AuditAction.PASSWORD_CHANGED,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )
    user.password_hash = new_hash


async def request_password_reset(runtime: Runtime, *, email: str, client: ClientInfo) -> None:
    """Mail a reset link if the address has an account; the caller cannot tell which."""
    settings = runtime.settings
    email = normalize_email(email)
    budget = Budget(settings.signups_per_ip, settings.throttle_window)
    await _take(runtime, _ip_key("reset", client), budget)
    # Counted whether or not the address has an account, so the limit reveals nothing.
    await _take(runtime, _account_key("reset", email), _mail_budget(runtime))
    async with transaction():
        user = await User.get_or_none(email=email, is_active=True)
        if user is None:
            return
        raw = await issue_email_token(runtime, user, EmailTokenPurpose.RESET_PASSWORD)
        link = settings.web_app_link("reset-password", token=raw)
        await enqueue_email(
            user,
            "Reset your password",
            f"Someone asked to reset the password of your mentor-api account. To choose a new "
            f"one, open this link:\n\n{link}\n\n"
            f"Or send this token with the resetPassword mutation:\n\n{raw}\n\n"
            f"If it was not you, ignore this message; your password stays as it is.\n",
        )
    await runtime.outbox.wake()


async def reset_password(
    runtime: Runtime, *, token: str, new_password: str, client: ClientInfo
) -> User:
    """Set a new password from a mailed token; every session is revoked."""
    async with transaction():
        user = await spend_email_token(token, EmailTokenPurpose.RESET_PASSWORD)
        check_strength(
            new_password,
            field="newPassword",
            personal_words=_personal_words(user.email, user.name),
        )
        user.password_hash = await runtime.passwords.hash(new_password)
        # Receiving the token proves control of the address.
        user.email_verified = True
        await user.save(update_fields=["password_hash", "email_verified", "updated_at"])
        await _void_reset_tokens(user)
        await revoke_sessions(user, client, reason="password reset")
        await audit.record(
            AuditAction.PASSWORD_RESET,
            actor_id=user.id,
            subject_id=user.id,
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return user

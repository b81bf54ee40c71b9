"""Deleting one's account: the request, its confirmation by mail, and its cancellation.

Confirming deactivates at once (P23): sessions end, log-in is refused with the way back, the
profile, posts and testimonials leave every list (their rules read the account's state),
optional consents are withdrawn and mail still waiting is dropped. Nothing is erased until
the grace period has passed, so a cancellation restores the account exactly as it was, but
for the consents, which the person grants again if they wish.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from core import clock
from core.runtime import Runtime
from models.accounts import EmailToken, EmailTokenPurpose, User
from models.audit import AuditAction
from models.deletion import AccountDeletion, DeletionStatus
from models.outbox import OutboxEmail, OutboxStatus
from models.privacy import ConsentSource
from services import accounts, audit
from services.client import ClientInfo
from services.deletion.blockers import Blocker, DeletionBlocked, blockers_of
from services.email import enqueue_email
from services.privacy import consents
from services.privacy.consents import Subject
from services.tokens import token_digest
from services.transactions import transaction

CONFIRM_SUBJECT = "Confirm the deletion of your account"
SCHEDULED_SUBJECT = "Your account is scheduled for erasure"
CANCELLED_SUBJECT = "Your account deletion is cancelled"
# Mail about the deletion itself: the only mail to the account that still goes once it is
# deactivated.
DELETION_NOTICES = (CONFIRM_SUBJECT, SCHEDULED_SUBJECT, CANCELLED_SUBJECT)
OPEN = (DeletionStatus.AWAITING_CONFIRMATION, DeletionStatus.SCHEDULED)
TOKENS = (EmailTokenPurpose.CONFIRM_DELETION, EmailTokenPurpose.CANCEL_DELETION)


@dataclass(frozen=True)
class DeletionState:
    """Where an account stands: what blocks its deletion now, and the request in progress."""

    blockers: list[Blocker]
    deletion: AccountDeletion | None


async def latest_request(user_id: int) -> AccountDeletion | None:
    return await AccountDeletion.filter(user_id=user_id).order_by("-id").first()


async def state_of(user_id: int) -> DeletionState:
    return DeletionState(await blockers_of(user_id), await latest_request(user_id))


async def request_deletion(runtime: Runtime, user: User, client: ClientInfo) -> AccountDeletion:
    """Refused while anything blocks it; otherwise mail the confirmation and cancel tokens.
    Asking again re-mails fresh tokens for the same request, and voids the earlier ones."""
    blockers = await blockers_of(user.id)
    if blockers:
        raise DeletionBlocked(blockers)
    async with transaction():
        deletion = await AccountDeletion.filter(
            user_id=user.id, status=DeletionStatus.AWAITING_CONFIRMATION
        ).first()
        if deletion is None:
            deletion = await AccountDeletion.create(
                user_id=user.id,
                status=DeletionStatus.AWAITING_CONFIRMATION,
                requested_at=clock.now(),
                pseudonym=secrets.token_hex(16),
            )
        await accounts.void_email_tokens(user.id, *TOKENS)
        confirm = await accounts.issue_email_token(
            runtime, user, EmailTokenPurpose.CONFIRM_DELETION
        )
        cancel = await accounts.issue_email_token(
            runtime,
            user,
            EmailTokenPurpose.CANCEL_DELETION,
            until=clock.now()
            + runtime.settings.email_token_lifetime
            + runtime.settings.account_erasure_grace,
        )
        days = runtime.settings.account_erasure_grace.days
        links = runtime.settings.web_app_link
        await enqueue_email(
            user,
            CONFIRM_SUBJECT,
            "You asked to delete your mentor-api account. To confirm, open this link:\n\n"
            f"{links('confirm-deletion', token=confirm)}\n\n"
            f"or send this token with the confirmAccountDeletion mutation:\n\n{confirm}\n\n"
            "Confirming deactivates the account at once; its personal data is erased "
            f"{days} days later. Until then you can keep the account by opening this link:\n\n"
            f"{links('cancel-deletion', token=cancel)}\n\n"
            f"or sending this token with the cancelAccountDeletion mutation:\n\n{cancel}\n\n"
            "If you did not ask for this, ignore this mail: nothing changes.\n",
        )
        await audit.record(
            AuditAction.DELETION_REQUESTED,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )
    await runtime.outbox.wake()
    return deletion


async def confirm_deletion(runtime: Runtime, token: str, client: ClientInfo) -> AccountDeletion:
    """Deactivate the account and schedule its erasure. The same token again is a no-op."""
    async with transaction():
        repeated = await _confirmed_by(token)
        if repeated is not None:
            return repeated
        user = await accounts.spend_email_token(token, EmailTokenPurpose.CONFIRM_DELETION)
        blockers = await blockers_of(user.id)  # a job may have been asked for since
        if blockers:
            raise DeletionBlocked(blockers)
        deletion = (
            await AccountDeletion.filter(
                user_id=user.id, status=DeletionStatus.AWAITING_CONFIRMATION
            )
            .select_for_update()
            .first()
        )
        if deletion is None:
            raise accounts.invalid_token()
        now = clock.now()
        deletion.status = DeletionStatus.SCHEDULED
        deletion.confirmed_at = now
        deletion.scheduled_erasure_at = now + runtime.settings.account_erasure_grace
        await deletion.save()
        await _deactivate(user, client)
        # The cancel link works until the erasure itself.
        await EmailToken.filter(
            user_id=user.id, purpose=EmailTokenPurpose.CANCEL_DELETION, used_at__isnull=True
        ).update(expires_at=deletion.scheduled_erasure_at)
        await enqueue_email(
            user,
            SCHEDULED_SUBJECT,
            "Your mentor-api account is deactivated. Its personal data will be erased on "
            f"{deletion.scheduled_erasure_at:%Y-%m-%d}. Until then you can keep it with the "
            "cancel token of the mail that asked you to confirm.\n",
        )
        await audit.record(
            AuditAction.DELETION_CONFIRMED,
            actor_id=user.id,
            subject_id=user.id,
            detail={"scheduled_erasure_at": deletion.scheduled_erasure_at.isoformat()},
            request_id=client.request_id,
        )
    await runtime.outbox.wake()
    return deletion


async def _confirmed_by(token: str) -> AccountDeletion | None:
    """The deletion a spent confirmation token already confirmed, for a repeated request."""
    spent = await EmailToken.filter(
        token_hash=token_digest(token),
        purpose=EmailTokenPurpose.CONFIRM_DELETION,
        used_at__isnull=False,
    ).first()
    if spent is None:
        return None
    return await AccountDeletion.filter(
        user_id=spent.user_id, status=DeletionStatus.SCHEDULED, confirmed_at__gte=spent.used_at
    ).first()


async def _deactivate(user: User, client: ClientInfo) -> None:
    user.is_active = False
    await user.save(update_fields=["is_active", "updated_at"])
    await accounts.revoke_sessions(user, client, reason="account deletion")
    await consents.withdraw_all(Subject(user_id=user.id), ConsentSource.DELETION)
    await (
        OutboxEmail.filter(recipient_id=user.id, status=OutboxStatus.PENDING)
        .exclude(subject__in=DELETION_NOTICES)
        .delete()
    )


async def cancel_deletion(runtime: Runtime, token: str, client: ClientInfo) -> AccountDeletion:
    """Keep the account: before confirmation the request lapses; after it, the account is
    active again, as it was (still deactivated, if staff deactivated it). Sessions stay ended
    and consents withdrawn."""
    async with transaction():
        user = await accounts.spend_email_token(
            token, EmailTokenPurpose.CANCEL_DELETION, active_only=False
        )
        deletion = (
            await AccountDeletion.filter(user_id=user.id, status__in=OPEN)
            .select_for_update()
            .first()
        )
        if deletion is None:
            raise accounts.invalid_token()
        # An account staff deactivated stays so: cancelling the deletion does not lift it.
        if deletion.status is DeletionStatus.SCHEDULED and user.deactivated_at is None:
            user.is_active = True
            await user.save(update_fields=["is_active", "updated_at"])
        deletion.status = DeletionStatus.CANCELLED
        deletion.cancelled_at = clock.now()
        await deletion.save()
        await accounts.void_email_tokens(user.id, *TOKENS)
        await enqueue_email(
            user,
            CANCELLED_SUBJECT,
            "Your mentor-api account will not be deleted. Log in to use it again; choices "
            "about optional cookies and mail were withdrawn and are yours to make again.\n",
        )
        await audit.record(
            AuditAction.DELETION_CANCELLED,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )
    await runtime.outbox.wake()
    return deletion

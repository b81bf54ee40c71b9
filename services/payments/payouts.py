"""Mentor payouts through Stripe Connect: the connected account, its onboarding and readiness.

Job payments are destination charges to the mentor's connected account, so a mentor can take
paid work only once Stripe has enabled charges and payouts on it (``account.updated``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from tortoise.exceptions import IntegrityError

from core.errors import Conflict
from core.runtime import Runtime
from models.accounts import User
from models.marketplace import MentorProfile
from models.notifications import Notification, NotificationKind
from models.payments import ConnectedAccount
from services.notifications.emit import notify
from services.payments.provider import stripe_errors


class PayoutStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    ONBOARDING = "ONBOARDING"
    READY = "READY"


def status_of(account: ConnectedAccount | None) -> PayoutStatus:
    if account is None:
        return PayoutStatus.NOT_STARTED
    return PayoutStatus.READY if account.payout_ready else PayoutStatus.ONBOARDING


async def payout_status(user_id: int) -> PayoutStatus:
    return status_of(await ConnectedAccount.get_or_none(user_id=user_id))


async def _connected_account(runtime: Runtime, user: User) -> ConnectedAccount:
    existing = await ConnectedAccount.get_or_none(user_id=user.id)
    if existing is not None:
        return existing
    with stripe_errors():
        created = await runtime.payments.stripe.v1.accounts.create_async(
            params={
                "type": "express",
                "metadata": {"user_id": str(user.id)},
                "capabilities": {
                    "card_payments": {"requested": True},
                    "transfers": {"requested": True},
                },
            },
            options={"idempotency_key": f"connected-account:{user.id}"},
        )
    try:
        return await ConnectedAccount.create(user_id=user.id, stripe_account_id=created.id)
    except IntegrityError:  # a concurrent call recorded the same account first
        return await ConnectedAccount.get(user_id=user.id)


async def start_payout_onboarding(runtime: Runtime, user: User) -> tuple[str, ConnectedAccount]:
    """A fresh single-use Stripe onboarding link for the mentor's connected account."""
    if not await MentorProfile.exists(user_id=user.id):
        raise Conflict("Only mentors receive payouts: create a mentor profile first.")
    account = await _connected_account(runtime, user)
    count = account.onboarding_links_created
    # Stripe sends the mentor's browser back to the web client: done, or the link expired.
    page = runtime.settings.web_app_link
    with stripe_errors():
        link = await runtime.payments.stripe.v1.account_links.create_async(
            params={
                "account": account.stripe_account_id,
                "type": "account_onboarding",
                "refresh_url": page("payouts", expired="1"),
                "return_url": page("payouts", done="1"),
            },
            options={"idempotency_key": f"account-link:{account.id}:{count}"},
        )
    await ConnectedAccount.filter(id=account.id, onboarding_links_created=count).update(
        onboarding_links_created=count + 1
    )
    return link.url, account


async def record_account_state(account: dict[str, object], created: datetime) -> int | None:
    """``account.updated``: readiness is whatever the newest event's account object says; an
    event older than the state already recorded changes nothing."""
    row = (
        await ConnectedAccount.filter(stripe_account_id=account.get("id"))
        .select_for_update()
        .first()
    )
    if row is None:
        return None
    if row.state_at is not None and created < row.state_at:
        return row.user_id
    was_ready = row.payout_ready
    row.charges_enabled = bool(account.get("charges_enabled"))
    row.payouts_enabled = bool(account.get("payouts_enabled"))
    row.details_submitted = bool(account.get("details_submitted"))
    row.state_at = created
    await row.save(
        update_fields=[
            "charges_enabled",
            "payouts_enabled",
            "details_submitted",
            "state_at",
            "updated_at",
        ]
    )
    if row.payout_ready and not was_ready and not await _told_ready(row.user_id):
        await notify(NotificationKind.PAYOUT_READY, [row.user_id])
    return row.user_id


async def _told_ready(user_id: int) -> bool:
    """Payouts are announced once, the first time Stripe enables them."""
    return await Notification.exists(recipient_id=user_id, kind=NotificationKind.PAYOUT_READY)

"""A shortcut for tests whose subject is not payouts: a mentor Stripe has already enabled.

tests/payments walks the real path (onboarding link, Stripe's ``account.updated`` event).
"""

from __future__ import annotations

from models.accounts import User
from models.payments import ConnectedAccount


async def make_payout_ready(user: User) -> ConnectedAccount:
    account, _ = await ConnectedAccount.update_or_create(
        defaults={"charges_enabled": True, "payouts_enabled": True, "details_submitted": True},
        user_id=user.id,
        stripe_account_id=f"acct_test_{user.id}",
    )
    return account

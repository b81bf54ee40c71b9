"""Paying users at Stripe: their customer, and the cards they save for later payments.

A card is saved in the browser with a SetupIntent's client secret, so its number never
reaches us; Stripe then tells us about it (``payment_method.attached``) and we keep only what
its owner needs to recognise it: brand, last four digits and expiry.
"""

from __future__ import annotations

from typing import Any

import stripe
from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from core.errors import NotFound
from core.runtime import Runtime
from models.accounts import User
from models.payments import PaymentMethod, StripeCustomer
from services.access.decisions import Access
from services.payments.provider import id_of, stripe_errors

# Stripe's answers when a card is already gone: removing it again is not an error.
ALREADY_DETACHED = frozenset({"resource_missing", "payment_method_unexpected_state"})


async def ensure_customer(runtime: Runtime, user: User) -> StripeCustomer:
    """The user's Stripe customer, created on first need with nothing but our user id."""
    existing = await StripeCustomer.get_or_none(user_id=user.id)
    if existing is not None:
        return existing
    with stripe_errors():
        created = await runtime.payments.stripe.v1.customers.create_async(
            params={"metadata": {"user_id": str(user.id)}},
            options={"idempotency_key": f"customer:{user.id}"},
        )
    try:
        return await StripeCustomer.create(user_id=user.id, stripe_customer_id=created.id)
    except IntegrityError:  # a concurrent call recorded the same customer first
        return await StripeCustomer.get(user_id=user.id)


async def start_saving_card(runtime: Runtime, user: User) -> str:
    """A SetupIntent's client secret, for the browser to save a card with Stripe.js."""
    customer = await ensure_customer(runtime, user)
    count = customer.setup_intents_started
    with stripe_errors():
        setup = await runtime.payments.stripe.v1.setup_intents.create_async(
            params={
                "customer": customer.stripe_customer_id,
                "usage": "off_session",
                "metadata": {"user_id": str(user.id)},
            },
            options={"idempotency_key": f"setup-intent:{customer.id}:{count}"},
        )
    await StripeCustomer.filter(id=customer.id, setup_intents_started=count).update(
        setup_intents_started=count + 1
    )
    assert setup.client_secret is not None
    return setup.client_secret


def cards_of(access: Access, user_id: int) -> QuerySet[PaymentMethod]:
    """The user's saved cards the viewer sees (their own only), newest first."""
    return access.visible(PaymentMethod).filter(user_id=user_id).order_by("-created_at", "-id")


async def remove_card(runtime: Runtime, user: User, payment_method_id: int) -> PaymentMethod:
    """Detach the card at Stripe, then forget it here. Someone else's card does not exist."""
    card = await Access.of(user).visible(PaymentMethod).filter(id=payment_method_id).get_or_none()
    if card is None:
        raise NotFound("No such payment method.", field="paymentMethodId")
    with stripe_errors(field="paymentMethodId"):
        try:
            await runtime.payments.stripe.v1.payment_methods.detach_async(
                card.stripe_payment_method_id,
                options={"idempotency_key": f"detach:{card.stripe_payment_method_id}"},
            )
        except stripe.InvalidRequestError as error:
            if error.code not in ALREADY_DETACHED:
                raise
    await PaymentMethod.filter(id=card.id).delete()
    return card


async def record_card(method: dict[str, Any]) -> int | None:
    """``payment_method.attached``/``updated``: keep the card's display details, by Stripe id."""
    card = method.get("card")
    customer = await StripeCustomer.get_or_none(stripe_customer_id=id_of(method.get("customer")))
    if not isinstance(card, dict) or customer is None:
        return None
    details = {
        "brand": str(card.get("brand", "unknown"))[:32],
        "last4": str(card.get("last4", ""))[:4],
        "exp_month": int(card.get("exp_month") or 0),
        "exp_year": int(card.get("exp_year") or 0),
    }
    await PaymentMethod.update_or_create(
        defaults={**details, "user_id": customer.user_id},
        stripe_payment_method_id=method["id"],
    )
    return customer.user_id


async def forget_card(method: dict[str, Any]) -> int | None:
    """``payment_method.detached``: the card can no longer be charged, so it is not shown."""
    card = await PaymentMethod.get_or_none(stripe_payment_method_id=method.get("id"))
    if card is None:
        return None
    await card.delete()
    return card.user_id

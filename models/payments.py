"""Payments through Stripe: customers, job payments, saved cards, payout accounts, webhook events.

Stripe holds the money and the card numbers. These rows hold what the API shows and what the
law asks us to keep, and each is updated from Stripe's own objects (API answers and events).
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class StripeCustomer(Model):
    """The Stripe customer of a paying user, created on first need."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "models.User", related_name="stripe_customer", on_delete=fields.CASCADE
    )
    stripe_customer_id = fields.CharField(max_length=64, unique=True)
    # Counts SetupIntents asked for: the next one's idempotency key comes from it.
    setup_intents_started = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "stripe_customers"


class PaymentStatus(StrEnum):
    PENDING = "PENDING"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"
    DISPUTE_LOST = "DISPUTE_LOST"


class DisputeStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


class Payment(Model):
    """A client's payment for one job: a PaymentIntent, a destination charge to the mentor.

    ``status`` is derived from the facts beside it (paid, refunded, disputed), each of which
    only moves forward, so events applied in any order end in the same state.
    """

    id = fields.BigIntField(primary_key=True)
    job: fields.OneToOneRelation = fields.OneToOneField(
        "models.Job", related_name="payment", on_delete=fields.RESTRICT
    )
    client: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="payments", on_delete=fields.RESTRICT
    )
    amount_cents = fields.IntField()
    currency = fields.CharField(max_length=3)
    platform_fee_cents = fields.IntField(default=0, db_default=0)
    status = fields.CharEnumField(
        PaymentStatus, max_length=24, default=PaymentStatus.PENDING, db_default="PENDING"
    )
    stripe_payment_intent_id = fields.CharField(max_length=64, unique=True)
    stripe_charge_id = fields.CharField(max_length=64, null=True, db_index=True)
    refunded_cents = fields.IntField(default=0, db_default=0)
    # Counts refunds asked of Stripe: the next one's idempotency key comes from it, so a retry
    # after a lost answer repeats the same request instead of refunding twice.
    refund_requests = fields.IntField(default=0, db_default=0)
    # When a refund was asked of Stripe whose outcome is not recorded yet (an answer lost on
    # the way back waits for Stripe's event): an unsettled refund, which blocks deletion.
    refund_asked_at = fields.DatetimeField(null=True)
    failure_code = fields.CharField(max_length=64, null=True)
    failure_reason = fields.CharField(max_length=255, null=True)
    dispute_status = fields.CharEnumField(DisputeStatus, max_length=16, null=True)
    stripe_dispute_id = fields.CharField(max_length=64, null=True)
    paid_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    job_id: int
    client_id: int

    class Meta:
        table = "payments"
        indexes = (("client_id", "created_at"),)


class PaymentMethod(Model):
    """A card saved at Stripe for later payments: only what identifies it to its owner."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="payment_methods", on_delete=fields.CASCADE
    )
    stripe_payment_method_id = fields.CharField(max_length=64, unique=True)
    brand = fields.CharField(max_length=32)
    last4 = fields.CharField(max_length=4)
    exp_month = fields.SmallIntField()
    exp_year = fields.SmallIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "payment_methods"


class ConnectedAccount(Model):
    """A mentor's Stripe Connect account, where job payments go, ready once Stripe says so."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation = fields.OneToOneField(
        "models.User", related_name="connected_account", on_delete=fields.CASCADE
    )
    stripe_account_id = fields.CharField(max_length=64, unique=True)
    charges_enabled = fields.BooleanField(default=False, db_default=False)
    payouts_enabled = fields.BooleanField(default=False, db_default=False)
    details_submitted = fields.BooleanField(default=False, db_default=False)
    # Counts onboarding links asked for: the next one's idempotency key comes from it.
    onboarding_links_created = fields.IntField(default=0, db_default=0)
    # When Stripe's account object said what the flags hold: an older event changes nothing.
    state_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "connected_accounts"

    @property
    def payout_ready(self) -> bool:
        return self.charges_enabled and self.payouts_enabled


class WebhookEvent(Model):
    """A Stripe event as received: stored once by its id, processed once under a row lock."""

    id = fields.BigIntField(primary_key=True)
    stripe_event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=100)
    payload: fields.Field[dict[str, object]] = fields.JSONField()
    # The user the event turned out to concern, so erasure finds their events.
    user: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    received_at = fields.DatetimeField(auto_now_add=True)
    processed_at = fields.DatetimeField(null=True)

    user_id: int | None

    class Meta:
        table = "stripe_webhook_events"

"""Amounts of money on the wire: integer minor units and an ISO 4217 currency code."""

from __future__ import annotations

import strawberry

from core import limits
from services.money import Amount


@strawberry.type(description="An amount of money in minor units (cents) of a currency.")
class Money:
    amount_cents: int = strawberry.field(description="The amount in minor units, e.g. 4500.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")

    @classmethod
    def of(cls, amount_cents: int | None, currency: str | None) -> Money | None:
        if amount_cents is None or currency is None:
            return None
        return cls(amount_cents=amount_cents, currency=currency)


@strawberry.input(description="An amount of money in minor units (cents) of a currency.")
class MoneyInput:
    amount_cents: int = strawberry.field(
        description="The amount in minor units, e.g. 4500 for 45.00 EUR; 1 to "
        f"{limits.MAX_AMOUNT_CENTS}."
    )
    currency: str = strawberry.field(
        description="ISO 4217 code, e.g. EUR; any letter case. Where the amount must match a "
        "currency already set (a payment's), another currency is BAD_USER_INPUT."
    )

    def amount(self) -> Amount:
        return Amount(amount_cents=self.amount_cents, currency=self.currency)

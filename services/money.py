"""Amounts of money as integer minor units with an ISO 4217 currency code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core import limits
from core.errors import BadUserInput

CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


def checked_amount(amount_cents: int, *, field: str) -> int:
    if amount_cents <= 0 or amount_cents > limits.MAX_AMOUNT_CENTS:
        raise BadUserInput(
            f"The amount must be between 1 and {limits.MAX_AMOUNT_CENTS} minor units.", field=field
        )
    return amount_cents


def checked_currency(currency: str, *, field: str) -> str:
    code = currency.strip().upper()
    if not CURRENCY_PATTERN.match(code):
        raise BadUserInput("The currency must be a three-letter ISO 4217 code.", field=field)
    return code


@dataclass(frozen=True)
class Amount:
    """An amount as a client sends it: minor units, in a currency of its choosing."""

    amount_cents: int
    currency: str


def in_currency(amount: Amount, currency: str, *, field: str) -> int:
    """The minor units of ``amount``, which must be in ``currency``: amounts in two currencies
    are never compared or converted, so a mismatch is the client's error to fix."""
    if checked_currency(amount.currency, field=field) != currency:
        raise BadUserInput(f"Give this amount in {currency}.", field=field)
    return amount.amount_cents

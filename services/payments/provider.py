"""The process's Stripe client, and the one translation of Stripe's failures into ours."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from core.errors import BadUserInput, Conflict, DomainError, ErrorCode
from core.settings import Settings

logger = logging.getLogger("mentor_api.payments")


class PaymentProviderUnavailable(DomainError):
    """Stripe could not be reached or failed; nothing was recorded on our side."""

    code = ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE

    def __init__(self, message: str = "The payment provider is unavailable; try again shortly."):
        super().__init__(message)


class CardDeclined(BadUserInput):
    code = ErrorCode.CARD_DECLINED


class PaymentProvider:
    """Owns the Stripe client (and its aiohttp session) for the life of the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._http: stripe.AIOHTTPClient | None = None
        self._client: stripe.StripeClient | None = None
        if settings.stripe_secret_key:
            # Seconds, for each attempt: the answer, its body included (aiohttp's total).
            self._http = stripe.AIOHTTPClient(timeout=settings.stripe_timeout.total_seconds())
            self._client = stripe.StripeClient(
                settings.stripe_secret_key,
                http_client=self._http,
                base_addresses={"api": settings.stripe_api_base},
                max_network_retries=settings.stripe_max_network_retries,
            )

    @property
    def stripe(self) -> stripe.StripeClient:
        if self._client is None:
            raise PaymentProviderUnavailable("Payments are not configured on this server.")
        return self._client

    def platform_fee(self, amount_cents: int) -> int:
        return amount_cents * self.settings.platform_fee_percent // 100

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close_async()


@contextmanager
def stripe_errors(field: str | None = None) -> Iterator[None]:
    """Card problems become CARD_DECLINED; a request Stripe refuses (an amount under its
    minimum, an object in the wrong state) BAD_USER_INPUT with Stripe's reason; a key reused
    with other figures CONFLICT; an unreachable or failing Stripe PAYMENT_PROVIDER_UNAVAILABLE."""
    try:
        yield
    except stripe.CardError as error:
        detail = error.error
        decline_code = (detail.decline_code if detail else None) or error.code or "card_declined"
        message = error.user_message or "The card was declined."
        raise CardDeclined(f"{message} ({decline_code})", field=field) from error
    except stripe.IdempotencyError as error:
        raise Conflict(
            "An earlier request for this is still on record at the payment provider with other "
            "figures; repeat it as it was, or try again tomorrow.",
            field=field,
        ) from error
    except stripe.InvalidRequestError as error:
        logger.warning("Stripe refused a request: %s (%s)", error.code, error.http_status)
        raise BadUserInput(_refusal(error), field=field) from error
    except (
        stripe.APIConnectionError,
        stripe.APIError,
        stripe.RateLimitError,
        stripe.AuthenticationError,
        stripe.PermissionError,
    ) as error:
        logger.warning(
            "Stripe unavailable: %s (status %s)", type(error).__name__, error.http_status
        )
        raise PaymentProviderUnavailable() from error


# Refusals whose message tells the caller what to change; other messages may name Stripe
# objects of ours (a mentor's account, a customer), so only their code is shown.
EXPLAINED_REFUSALS = frozenset(
    {
        "amount_too_small",
        "amount_too_large",
        "charge_already_refunded",
        "charge_disputed",
        "charge_exceeds_source_limit",
    }
)


def _refusal(error: stripe.InvalidRequestError) -> str:
    detail = error.error
    if error.code in EXPLAINED_REFUSALS and detail is not None and detail.message:
        return f"The payment provider refused this: {detail.message}"
    return f"The payment provider refused this request ({error.code or 'invalid_request'})."


def id_of(value: Any) -> str | None:
    """Stripe sends a related object as its id or, expanded, as the object itself."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        found = value.get("id")
        return found if isinstance(found, str) else None
    return getattr(value, "id", None)

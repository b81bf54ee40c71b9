"""POST /webhooks/stripe: Stripe's signed events, verified on the raw body.

A bad signature or a timestamp outside Stripe's five-minute tolerance (stale, or as far ahead)
answers 400 and stores nothing. A verified event is stored by its id and processed at once (a
few row updates); if processing fails the answer is 500 and Stripe delivers the event again.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import orjson
import stripe
from aiohttp import web

from app.keys import RUNTIME
from core.errors import BadUserInput
from services.notifications.emit import announcing
from services.payments import events

logger = logging.getLogger("mentor_api.webhooks")


def _rejected(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


def _verify(payload: bytes, header: str | None, secret: str) -> None:
    """What Webhook.construct_event checks, without building a StripeObject we do not use,
    and one thing it does not: a timestamp more than the tolerance ahead of our clock. A
    signature dated ahead would stay fresh, and replayable, for as long as it is ahead."""
    tolerance = stripe.Webhook.DEFAULT_TOLERANCE
    stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=tolerance)
    assert header is not None  # verify_header refuses a missing one
    if _signed_at(header) > time.time() + tolerance:
        raise stripe.SignatureVerificationError("Timestamp ahead of the tolerance zone", header)


def _signed_at(header: str) -> int:
    """The header's first ``t=``, as Stripe reads it."""
    stamps = [
        value for key, _, value in (i.partition("=") for i in header.split(",")) if key == "t"
    ]
    return int(stamps[0])


async def stripe_webhook(request: web.Request) -> web.Response:
    secret = request.app[RUNTIME].settings.stripe_webhook_secret
    if not secret:
        return web.json_response({"error": "webhooks are not configured"}, status=503)
    payload = await request.read()
    try:
        _verify(payload, request.headers.get("Stripe-Signature"), secret)
        event: Any = orjson.loads(payload)
    except (stripe.SignatureVerificationError, ValueError):
        return _rejected("invalid signature or payload")
    try:
        async with announcing(request.app[RUNTIME]):
            await events.receive(event)
    except BadUserInput:
        return _rejected("not a Stripe event")
    except Exception as error:  # the stored event stays pending for Stripe's next delivery
        # The type and stack, not the message: messages can carry personal data.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("processing Stripe event failed: %s\n%s", type(error).__name__, stack)
        return web.json_response({"error": "processing failed"}, status=500)
    return web.json_response({"received": True})

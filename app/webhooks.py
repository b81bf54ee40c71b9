"""POST /webhooks/stripe: Stripe's signed events, verified on the raw body.

A bad signature or a stale timestamp (outside Stripe's five-minute tolerance) answers 400 and
stores nothing. A verified event is stored by its id and processed at once (a few row
updates); if processing fails the answer is 500 and Stripe delivers the event again.
"""

from __future__ import annotations

import logging
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


async def stripe_webhook(request: web.Request) -> web.Response:
    secret = request.app[RUNTIME].settings.stripe_webhook_secret
    if not secret:
        return web.json_response({"error": "webhooks are not configured"}, status=503)
    payload = await request.read()
    try:
        # What Webhook.construct_event checks, without building a StripeObject we do not use.
        stripe.WebhookSignature.verify_header(
            payload,
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
        )
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

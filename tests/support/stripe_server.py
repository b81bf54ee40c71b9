"""The Stripe the tests talk to: the app's local stand-in (``app.stripe_standin``), with what
only tests do to it.

A test loses an answer on the way (``lose_next_answer_to``), takes Stripe away (``stopped``)
or holds its answers (``holding``),
plays Stripe.js or the dashboard (``api``), has a cardholder dispute a charge, and delivers
each event to the app itself when it chooses (``deliver``), signed with Stripe's scheme.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import stripe
from aiohttp import web
from localstripe import resources as localstripe_resources
from localstripe.resources import PaymentIntent

from app.stripe_standin import (
    OPEN_DISPUTE,
    TEST_SECRET_KEY,
    TEST_WEBHOOK_SECRET,
    Handler,
    StripeStandIn,
    stripe_error,
)

__all__ = ["TEST_SECRET_KEY", "TEST_WEBHOOK_SECRET", "StripeServer", "running_stripe_server"]


@dataclass
class StripeServer(StripeStandIn):
    """One server per test session; ``reset()`` gives each test a clean slate."""

    # Paths whose next answer is lost: the work is done, the caller gets a 500 instead.
    lose_next_answer_to: set[str] = field(default_factory=set)
    # Paths whose requests wait for the test: (set once one arrived, the test's go-ahead).
    _held: dict[str, tuple[asyncio.Event, asyncio.Event]] = field(default_factory=dict)
    _client: stripe.StripeClient | None = None
    _client_http: stripe.AIOHTTPClient | None = None

    @property
    def api(self) -> stripe.StripeClient:
        """A Stripe client for the test itself, playing Stripe.js or the dashboard."""
        if self._client is None:
            self._client_http = stripe.AIOHTTPClient()
            self._client = stripe.StripeClient(
                TEST_SECRET_KEY, http_client=self._client_http, base_addresses={"api": self.url}
            )
        return self._client

    async def close(self) -> None:
        await self.stop()
        if self._client_http is not None:
            await self._client_http.close_async()

    @asynccontextmanager
    async def stopped(self) -> AsyncIterator[None]:
        """Stripe is unreachable inside the block."""
        await self.stop()
        try:
            yield
        finally:
            await self.start()

    def reset(self) -> None:
        self.events.clear()
        self.requests.clear()
        self.accounts.clear()
        self.disputes.clear()
        self.onboarding_returns.clear()
        self.lose_next_answer_to.clear()
        self._replays.clear()
        localstripe_resources.store.clear()

    def _middlewares(self) -> list[Any]:
        return [self._lossy_network, *super()._middlewares()]

    @asynccontextmanager
    async def holding(self, path: str) -> AsyncIterator[asyncio.Event]:
        """Requests to ``path`` wait until the block ends (Stripe being slow); the event is
        set once one is waiting, so the caller is known to be in the middle of its call."""
        arrived, go_ahead = asyncio.Event(), asyncio.Event()
        self._held[path] = arrived, go_ahead
        try:
            yield arrived
        finally:
            del self._held[path]
            go_ahead.set()

    @web.middleware
    async def _lossy_network(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if (held := self._held.get(request.path)) is not None:
            held[0].set()
            await held[1].wait()
        response = await handler(request)
        if request.path in self.lose_next_answer_to:
            self.lose_next_answer_to.discard(request.path)
            return stripe_error(500, "The answer was lost on the way.")
        return response

    def objects(self, kind: str) -> list[Any]:
        """What localstripe holds of one kind, e.g. ``payment_intent``."""
        store = localstripe_resources.store
        return [obj for key, obj in store.items() if key.startswith(kind + ":")]

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]

    def open_dispute(self, payment_intent_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        """The cardholder disputes the charge with their bank."""
        intent = PaymentIntent._api_retrieve(payment_intent_id)
        dispute = {
            "id": "dp_" + secrets.token_hex(8),
            "object": "dispute",
            "amount": intent.amount,
            "currency": intent.currency,
            "charge": intent.latest_charge.id,
            "payment_intent": intent.id,
            "reason": reason,
            "status": OPEN_DISPUTE,
            "created": int(time.time()),
        }
        self.disputes[dispute["id"]] = dispute
        return self.record_event("charge.dispute.created", dict(dispute))


@asynccontextmanager
async def running_stripe_server() -> AsyncIterator[StripeServer]:
    server = StripeServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()

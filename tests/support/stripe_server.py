"""A Stripe-compatible HTTP server on 127.0.0.1 for the tests, spoken to by the real client.

``localstripe`` serves customers, payment and setup intents, payment methods and refunds. Its
own command line binds every interface and pickles its state to /tmp, so its routes are
mounted here instead, on loopback, with the pickling switched off. This module adds what it
lacks and what the app relies on: Connect accounts and account links, disputes, the
Connect fields of a destination charge, the events Stripe sends for refunds and saved cards,
and idempotency keys (replayed like Stripe does). Test-only actions that happen outside the
API in real life (a cardholder disputing a charge, a mentor finishing onboarding) are plain
methods; every event can then be delivered to the app, signed with Stripe's scheme.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import secrets
import socket
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import stripe
from aiohttp import web
from localstripe import resources as localstripe_resources
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, Refund, SetupIntent

with warnings.catch_warnings():
    # localstripe adds plain-function handlers to its app on import, which aiohttp deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    localstripe_server = importlib.import_module("localstripe.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

TEST_SECRET_KEY = "sk_test_mentor_api"
TEST_WEBHOOK_SECRET = "whsec_test_mentor_api"

# Parameters of Stripe's API that localstripe refuses; they are kept on the object instead.
PAYMENT_INTENT_EXTRAS = ("transfer_data", "application_fee_amount", "automatic_payment_methods")
REFUND_EXTRAS = ("reason", "reverse_transfer", "refund_application_fee")
OPEN_DISPUTE = "needs_response"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _awaitable(handler: Any) -> Handler:
    """localstripe has plain-function handlers, which aiohttp deprecates."""

    async def handle(request: web.Request) -> web.StreamResponse:
        response = handler(request)
        if inspect.isawaitable(response):
            response = await response
        return response  # type: ignore[no-any-return]

    return handle


def _stripe_error(status: int, message: str, kind: str = "api_error") -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    idempotency_key: str | None


@dataclass
class _Replay:
    fingerprint: str
    status: int
    body: bytes


@dataclass
class StripeServer:
    """One server per test session; ``reset()`` gives each test a clean slate."""

    port: int = field(default_factory=_free_port)
    webhook_url: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Paths whose next answer is lost: the work is done, the caller gets a 500 instead.
    lose_next_answer_to: set[str] = field(default_factory=set)
    _replays: dict[str, _Replay] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _client: stripe.StripeClient | None = None
    _client_http: stripe.AIOHTTPClient | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        localstripe_resources.store.dump_to_disk = lambda: None  # type: ignore[method-assign]
        localstripe_resources.schedule_webhook = self._record_localstripe_event
        self._runner = web.AppRunner(self._build_app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

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
        self.lose_next_answer_to.clear()
        self._replays.clear()
        localstripe_resources.store.clear()

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                self._lossy_network,
                self._idempotency,
                localstripe_server.error_middleware,
                localstripe_server.auth_middleware,
            ]
        )
        # Ours first: the dispatcher takes the first route that matches.
        app.router.add_post("/v1/payment_intents", self._create_payment_intent)
        app.router.add_post("/v1/payment_intents/{id}/confirm", self._confirm_payment_intent)
        app.router.add_post("/v1/setup_intents/{id}/confirm", self._confirm_setup_intent)
        app.router.add_post("/v1/payment_methods/{id}/detach", self._detach_payment_method)
        app.router.add_post("/v1/refunds", self._create_refund)
        app.router.add_post("/v1/accounts", self._create_account)
        app.router.add_get("/v1/accounts/{id}", self._retrieve_account)
        app.router.add_post("/v1/account_links", self._create_account_link)
        app.router.add_get("/v1/disputes/{id}", self._retrieve_dispute)
        app.router.add_post("/v1/disputes/{id}/close", self._close_dispute)
        for route in localstripe_server.app.router.routes():
            app.router.add_route(
                route.method,
                route.resource.canonical,  # type: ignore[union-attr]
                _awaitable(route.handler),
            )
        return app

    # --- middlewares -------------------------------------------------------------------------

    @web.middleware
    async def _lossy_network(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        if request.path in self.lose_next_answer_to:
            self.lose_next_answer_to.discard(request.path)
            return _stripe_error(500, "The answer was lost on the way.")
        return response

    @web.middleware
    async def _idempotency(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Stripe's rule: the same key and the same request get the first answer again."""
        key = request.headers.get("Idempotency-Key")
        self.requests.append(RecordedRequest(request.method, request.path, key))
        if request.method != "POST" or key is None:
            return await handler(request)
        body = await request.read()
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + body).hexdigest()
        replay = self._replays.get(key)
        if replay is not None:
            if replay.fingerprint != fingerprint:
                return _stripe_error(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters.",
                    "idempotency_error",
                )
            return web.Response(
                body=replay.body,
                status=replay.status,
                content_type="application/json",
                headers={"Idempotent-Replayed": "true"},
            )
        response = await handler(request)
        if isinstance(response, web.Response) and response.status < 500:
            assert isinstance(response.body, bytes)
            self._replays[key] = _Replay(fingerprint, response.status, response.body)
        return response

    # --- what localstripe lacks or refuses ------------------------------------------------

    async def _create_payment_intent(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        extras = {name: data.pop(name) for name in PAYMENT_INTENT_EXTRAS if name in data}
        if "application_fee_amount" in extras:
            extras["application_fee_amount"] = int(extras["application_fee_amount"])
        intent = PaymentIntent._api_create(**data)
        for name, value in extras.items():
            setattr(intent, name, value)
        return localstripe_server.json_response(intent._export())

    async def _confirm_payment_intent(self, request: web.Request) -> web.Response:
        """Confirm as stripe.js does, with the payment method in the same call."""
        data = await localstripe_server.get_post_data(request) or {}
        intent = PaymentIntent._api_retrieve(request.match_info["id"])
        if "payment_method" in data:
            intent.payment_method = PaymentMethod._api_retrieve(data.pop("payment_method")).id
            if intent.status == "requires_payment_method":
                intent.latest_charge = None  # a new attempt after a declined one
        PaymentIntent._api_confirm(intent.id)
        return localstripe_server.json_response(intent._export())

    async def _confirm_setup_intent(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        setup = SetupIntent._api_confirm(id=request.match_info["id"], **data)
        if setup.status == "succeeded":
            method = PaymentMethod._api_retrieve(setup.payment_method)
            method.customer = setup.customer
            self.record_event("setup_intent.succeeded", setup._export())
            self.record_event("payment_method.attached", method._export())
        return localstripe_server.json_response(setup._export())

    async def _detach_payment_method(self, request: web.Request) -> web.Response:
        method = PaymentMethod._api_detach(request.match_info["id"])
        self.record_event("payment_method.detached", method._export())
        return localstripe_server.json_response(method._export())

    async def _create_refund(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        extras = {name: data.pop(name) for name in REFUND_EXTRAS if name in data}
        refund = Refund._api_create(**data)
        for name, value in extras.items():
            setattr(refund, name, value)
        self.record_event("charge.refunded", Charge._api_retrieve(refund.charge)._export())
        return localstripe_server.json_response(refund._export())

    async def _create_account(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        account = {
            "id": "acct_" + secrets.token_hex(8),
            "object": "account",
            "type": data.get("type", "express"),
            "metadata": data.get("metadata", {}),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "created": int(time.time()),
        }
        self.accounts[account["id"]] = account
        return web.json_response(account)

    async def _retrieve_account(self, request: web.Request) -> web.Response:
        account = self.accounts.get(request.match_info["id"])
        if account is None:
            return _stripe_error(404, "No such account", "invalid_request_error")
        return web.json_response(account)

    async def _create_account_link(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        if data.get("account") not in self.accounts or not data.get("return_url"):
            return _stripe_error(400, "Bad account link request", "invalid_request_error")
        return web.json_response(
            {
                "object": "account_link",
                "url": f"{self.url}/connect/onboarding/{data['account']}/{secrets.token_hex(6)}",
                "created": int(time.time()),
                "expires_at": int(time.time()) + 300,
            }
        )

    async def _retrieve_dispute(self, request: web.Request) -> web.Response:
        dispute = self.disputes.get(request.match_info["id"])
        if dispute is None:
            return _stripe_error(404, "No such dispute", "invalid_request_error")
        return web.json_response(dispute)

    async def _close_dispute(self, request: web.Request) -> web.Response:
        """Closing a dispute through the API concedes it."""
        return web.json_response(
            self.settle_dispute(request.match_info["id"], "lost")["data"]["object"]
        )

    # --- events and test-only actions -------------------------------------------------------

    def _record_localstripe_event(self, event: Any) -> None:
        self.events.append(event._export())

    def record_event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
        self.events.append(event)
        return event

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

    def settle_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        """The bank decides: ``won`` (the platform keeps the money) or ``lost``."""
        dispute = self.disputes[dispute_id]
        dispute["status"] = outcome
        return self.record_event("charge.dispute.closed", dict(dispute))

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The mentor finishes Stripe's onboarding form and Stripe enables the account."""
        account = self.accounts[account_id]
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
        return self.record_event("account.updated", dict(account))

    def sign(
        self, payload: str, *, timestamp: int | None = None, secret: str = TEST_WEBHOOK_SECRET
    ) -> str:
        return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)

    async def deliver(
        self,
        event: dict[str, Any],
        *,
        timestamp: int | None = None,
        secret: str = TEST_WEBHOOK_SECRET,
    ) -> int:
        """POST one event to the app's webhook endpoint, signed as Stripe signs; the status."""
        payload = json.dumps(event, sort_keys=True)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": self.sign(payload, timestamp=timestamp, secret=secret),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook_url, data=payload.encode(), headers=headers) as response,
        ):
            return response.status


@asynccontextmanager
async def running_stripe_server() -> AsyncIterator[StripeServer]:
    server = StripeServer()
    await server.start()
    try:
        yield server
    finally:
        await server.close()

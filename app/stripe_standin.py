"""A LOCAL TEST STAND-IN for Stripe: no money moves, no card is charged, nothing leaves 127.0.0.1.

It lets the embedded default show a payment (``python3 dev.py serve --demo``, which runs
``mentor-api serve --stripe-standin``) and is the Stripe the tests talk to. It refuses to run
in production mode (``StripeStandIn.for_development``).

``localstripe`` serves customers, payment and setup intents, payment methods and refunds. Its
own command line binds every interface and pickles its state to /tmp, so its routes are
mounted here instead, on loopback, keeping its state in memory or in a file of our data folder.
This module adds what it lacks and what the app relies on: Connect accounts and account links,
disputes, the Connect fields of a destination charge, the events Stripe sends for refunds and
saved cards, and idempotency keys (replayed like Stripe does). Every event is kept in
``events``; with a ``webhook_url`` and ``deliver_events`` on, each is posted there as Stripe
does, signed with Stripe's scheme. Two pages play what a person does on Stripe's own pages:
finishing a mentor's onboarding (the account link) and paying with a test card (``/checkout/
<client secret>``, what Stripe.js does in a real web client).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import importlib
import inspect
import json
import logging
import pickle
import secrets
import socket
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import stripe
from aiohttp import web
from localstripe import resources as localstripe_resources
from localstripe.resources import Charge, PaymentIntent, PaymentMethod, Refund, SetupIntent

from core.settings import ConfigurationError, Settings

with warnings.catch_warnings():
    # localstripe adds plain-function handlers to its app on import, which aiohttp deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    localstripe_server = importlib.import_module("localstripe.server")

logger = logging.getLogger("mentor_api.stripe_standin")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# The stand-in's own keys: test-mode names, worthless anywhere else.
TEST_SECRET_KEY = "sk_test_mentor_api"
TEST_WEBHOOK_SECRET = "whsec_test_mentor_api"

# Parameters of Stripe's API that localstripe refuses; they are kept on the object instead.
PAYMENT_INTENT_EXTRAS = ("transfer_data", "application_fee_amount", "automatic_payment_methods")
REFUND_EXTRAS = ("reason", "reverse_transfer", "refund_application_fee")
OPEN_DISPUTE = "needs_response"
# The test cards the checkout page offers: localstripe's payment methods for Stripe's numbers.
TEST_CARDS = {
    "pm_card_visa": "4242 4242 4242 4242 (succeeds)",
    "pm_card_visa_chargeDeclined": "4000 0000 0000 0002 (declined)",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><p><strong>Local test stand-in for Stripe: no money moves.</strong></p>
<h1>{title}</h1>{content}</body></html>
"""
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; form-action 'self'",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _awaitable(handler: Any) -> Handler:
    """localstripe has plain-function handlers, which aiohttp deprecates."""

    async def handle(request: web.Request) -> web.StreamResponse:
        response = handler(request)
        if inspect.isawaitable(response):
            response = await response
        return response

    return handle


def stripe_error(status: int, message: str, kind: str = "api_error") -> web.Response:
    return web.json_response({"error": {"type": kind, "message": message}}, status=status)


def _page(title: str, content: str, status: int = 200) -> web.Response:
    return web.Response(
        text=PAGE.format(title=html.escape(title), content=content),
        content_type="text/html",
        status=status,
        headers=PAGE_HEADERS,
    )


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
class StripeStandIn:
    """A Stripe-compatible server on 127.0.0.1; ``state_file`` keeps its objects across
    restarts (the demo's database remembers the ids it was given)."""

    port: int = field(default_factory=free_port)
    webhook_url: str = ""
    deliver_events: bool = False
    state_file: Path | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where each onboarding link sends the mentor back to, by the link's path.
    onboarding_returns: dict[str, str] = field(default_factory=dict)
    _replays: dict[str, _Replay] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _deliveries: asyncio.Queue[dict[str, Any]] | None = None
    _deliverer: asyncio.Task[None] | None = None

    @classmethod
    def for_development(cls, settings: Settings, *, port: int) -> StripeStandIn:
        """The stand-in beside a development server, delivering its events to the server's
        webhook; never in production, where a real Stripe account takes real money."""
        if not settings.development:
            raise ConfigurationError(
                "the local Stripe stand-in runs in development only (MENTOR_ENV=development)"
            )
        return cls(port=port, deliver_events=True, state_file=settings.data_dir / "stripe.pickle")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def configure(self, settings: Settings) -> Settings:
        """``settings`` pointing the app's Stripe client and webhook check at this stand-in."""
        return settings.with_overrides(
            stripe_api_base=self.url,
            stripe_secret_key=TEST_SECRET_KEY,
            stripe_webhook_secret=TEST_WEBHOOK_SECRET,
        )

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        localstripe_resources.store.dump_to_disk = self._save
        localstripe_resources.schedule_webhook = self._record_localstripe_event
        self._load()
        self._runner = web.AppRunner(self._build_app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        if self.deliver_events:
            self._deliveries = asyncio.Queue()
            self._deliverer = asyncio.create_task(self._deliver_in_order())
        logger.info(
            "LOCAL TEST STAND-IN for Stripe at %s: no money moves; test checkout at "
            "%s/checkout/<clientSecret>",
            self.url,
            self.url,
        )

    async def stop(self) -> None:
        if self._deliverer is not None:
            self._deliverer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deliverer
            self._deliverer = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def running(self, app: web.Application) -> AsyncIterator[None]:
        """For ``app.cleanup_ctx``: up while the app serves."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def _save(self) -> None:
        if self.state_file is None:
            return
        state = (dict(localstripe_resources.store), self.accounts, self.onboarding_returns)
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.write_bytes(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    def _load(self) -> None:
        """Our own file, written by ``_save`` of an earlier run."""
        if self.state_file is None or not self.state_file.exists():
            return
        objects, accounts, returns = pickle.loads(self.state_file.read_bytes())
        dict.update(localstripe_resources.store, objects)
        self.accounts.update(accounts)
        self.onboarding_returns.update(returns)

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=self._middlewares())
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
        app.router.add_get("/connect/onboarding/{account}/{link}", self._onboarding_page)
        app.router.add_post("/connect/onboarding/{account}/{link}", self._finish_onboarding)
        app.router.add_get("/checkout/{secret}", self._checkout_page)
        app.router.add_post("/checkout/{secret}", self._pay)
        for route in localstripe_server.app.router.routes():
            app.router.add_route(
                route.method,
                route.resource.canonical,
                _awaitable(route.handler),
            )
        return app

    def _middlewares(self) -> list[Any]:
        return [
            self._idempotency,
            localstripe_server.error_middleware,
            self._stripe_api_auth,
        ]

    # --- middlewares -------------------------------------------------------------------------

    @web.middleware
    async def _stripe_api_auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The API asks for a key; the two pages a person opens in a browser do not."""
        if request.path.startswith(("/connect/", "/checkout/")):
            return await handler(request)
        answer: web.StreamResponse = await localstripe_server.auth_middleware(request, handler)
        return answer

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
                return stripe_error(
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
        intent = self._confirm(request.match_info["id"], data.pop("payment_method", None))
        return localstripe_server.json_response(intent._export())

    def _confirm(self, intent_id: str, payment_method: str | None) -> Any:
        intent = PaymentIntent._api_retrieve(intent_id)
        if payment_method is not None:
            intent.payment_method = PaymentMethod._api_retrieve(payment_method).id
            if intent.status == "requires_payment_method":
                intent.latest_charge = None  # a new attempt after a declined one
        PaymentIntent._api_confirm(intent.id)
        self._save()
        return intent

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
        self._save()
        return web.json_response(account)

    async def _retrieve_account(self, request: web.Request) -> web.Response:
        account = self.accounts.get(request.match_info["id"])
        if account is None:
            return stripe_error(404, "No such account", "invalid_request_error")
        return web.json_response(account)

    async def _create_account_link(self, request: web.Request) -> web.Response:
        data = await localstripe_server.get_post_data(request) or {}
        if data.get("account") not in self.accounts or not data.get("return_url"):
            return stripe_error(400, "Bad account link request", "invalid_request_error")
        path = f"/connect/onboarding/{data['account']}/{secrets.token_hex(6)}"
        self.onboarding_returns[path] = data["return_url"]
        self._save()
        return web.json_response(
            {
                "object": "account_link",
                "url": self.url + path,
                "created": int(time.time()),
                "expires_at": int(time.time()) + 300,
            }
        )

    async def _retrieve_dispute(self, request: web.Request) -> web.Response:
        dispute = self.disputes.get(request.match_info["id"])
        if dispute is None:
            return stripe_error(404, "No such dispute", "invalid_request_error")
        return web.json_response(dispute)

    async def _close_dispute(self, request: web.Request) -> web.Response:
        """Closing a dispute through the API concedes it."""
        return web.json_response(
            self.settle_dispute(request.match_info["id"], "lost")["data"]["object"]
        )

    # --- the pages a person opens on Stripe ---------------------------------------------------

    async def _onboarding_page(self, request: web.Request) -> web.Response:
        if request.path not in self.onboarding_returns:
            return _page("Unknown onboarding link", "<p>Ask for a new link.</p>", status=404)
        return _page(
            "Payout onboarding",
            "<p>Stripe would ask for the mentor's identity and bank account here.</p>"
            '<form method="post"><button type="submit">Finish onboarding</button></form>',
        )

    async def _finish_onboarding(self, request: web.Request) -> web.Response:
        back_to = self.onboarding_returns.get(request.path)
        if back_to is None:
            return _page("Unknown onboarding link", "<p>Ask for a new link.</p>", status=404)
        self.complete_onboarding(request.match_info["account"])
        await self._delivered()
        raise web.HTTPSeeOther(back_to)

    def _intent_for(self, secret: str) -> Any:
        intent_id = secret.split("_secret_")[0]
        key = f"payment_intent:{intent_id}"
        intent = localstripe_resources.store.get(key)
        if intent is None or not secrets.compare_digest(intent.client_secret, secret):
            return None
        return intent

    async def _checkout_page(self, request: web.Request) -> web.Response:
        intent = self._intent_for(request.match_info["secret"])
        if intent is None:
            return _page("Unknown payment", "<p>No payment has this client secret.</p>", 404)
        buttons = "".join(
            f'<p><button type="submit" name="payment_method" value="{card}">'
            f"Pay with the test card {html.escape(label)}</button></p>"
            for card, label in TEST_CARDS.items()
        )
        amount = f"{intent.amount / 100:.2f} {intent.currency.upper()}"
        return _page(
            f"Pay {amount}",
            f'<p>Status: {html.escape(intent.status)}</p><form method="post">{buttons}</form>',
        )

    async def _pay(self, request: web.Request) -> web.Response:
        intent = self._intent_for(request.match_info["secret"])
        card = (await request.post()).get("payment_method")
        if intent is None or card not in TEST_CARDS:
            return _page("Unknown payment", "<p>No payment has this client secret.</p>", 404)
        try:
            intent = self._confirm(intent.id, str(card))
        except Exception as error:  # localstripe refuses: the intent's state says why
            return _page("Payment refused", f"<p>{html.escape(str(error))}</p>", status=400)
        await self._delivered()
        return _page(f"Payment {intent.status}", f"<p>Status: {html.escape(intent.status)}</p>")

    # --- events -------------------------------------------------------------------------------

    def _record_localstripe_event(self, event: Any) -> None:
        self._keep(event._export())

    def record_event(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "type": kind,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": obj},
        }
        self._keep(event)
        return event

    def _keep(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if self._deliveries is not None:
            self._deliveries.put_nowait(event)

    async def _deliver_in_order(self) -> None:
        assert self._deliveries is not None
        while True:
            event = await self._deliveries.get()
            outcome: int | str
            try:
                outcome = await self.deliver(event)
            except Exception as error:  # the server is away: Stripe would retry, we move on
                outcome = type(error).__name__
            logger.info("stand-in delivered %s %s: %s", event["type"], event["id"], outcome)
            self._deliveries.task_done()

    async def _delivered(self) -> None:
        """Wait until the events recorded so far reached the app: a page a person opened
        answers once our server knows what they did there."""
        if self._deliveries is not None:
            await self._deliveries.join()

    def settle_dispute(self, dispute_id: str, outcome: str) -> dict[str, Any]:
        """The bank decides: ``won`` (the platform keeps the money) or ``lost``."""
        dispute = self.disputes[dispute_id]
        dispute["status"] = outcome
        return self.record_event("charge.dispute.closed", dict(dispute))

    def complete_onboarding(self, account_id: str) -> dict[str, Any]:
        """The mentor finishes Stripe's onboarding form and Stripe enables the account."""
        account = self.accounts[account_id]
        account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
        self._save()
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

"""Every wait on something else ends: the request, each SQL statement, Stripe and the mail
relay have their timeouts, and each answers a typed error (or keeps the work for later),
never a hang. Each test makes the wait real: another connection holds the database's lock,
or the peer accepts and never answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from tortoise import connections

from app.graphql_http import GRAPHQL_RESPONSE
from core.runtime import Runtime
from core.settings import ConfigurationError, Settings
from models.accounts import Session
from models.outbox import OutboxEmail, OutboxStatus
from models.payments import StripeCustomer
from resolvers.extensions import TIMEOUT_MESSAGE
from services.payments.provider import PaymentProvider
from services.transactions import transaction
from tests.marketplace.helpers import become_mentor, request_job
from tests.support.backends import Backend
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.locks import writes_held
from tests.support.smtp import Mailbox
from tests.support.stripe_server import StripeServer
from tests.support.subscriptions import subscribed
from tests.support.tcp_proxy import CuttableProxy, cuttable
from tests.support.users import PASSWORD, SignedIn, UserFactory

SIGN_UP = document("SignUp")
LOG_IN = document("LogIn")
ADD_PAYMENT_METHOD = document("AddPaymentMethod")
ME = document("Me")
ALICE = {"input": {"email": "alice@example.com", "password": PASSWORD, "name": "Alice"}}
# A log-in opens its session first, then records itself: the audit row is its last write.
LAST_LOG_IN_TABLE = "audit_log"


def timeout_error(request_id: str, **located: Any) -> dict[str, Any]:
    return {
        "message": TIMEOUT_MESSAGE,
        **located,
        "extensions": {"code": "TIMEOUT", "requestId": request_id},
    }


def within(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, **timeouts: timedelta) -> None:
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(**timeouts))


async def post(
    http: TestClient[Any, Any],
    query: str,
    variables: dict[str, Any],
    *,
    accept: str,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, str, dict[str, Any]]:
    """Status, media type, request id and body of one POST to /graphql."""
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Accept": accept, **(headers or {})},
    )
    body: dict[str, Any] = await response.json(content_type=None)
    return response.status, response.content_type, response.headers["X-Request-Id"], body


def log_in(who: SignedIn) -> dict[str, Any]:
    return {"input": {"email": who.user.email, "password": PASSWORD}}


async def sessions_of(who: SignedIn) -> int:
    return await Session.filter(user_id=who.user.id).count()


async def test_a_mutation_past_the_request_timeout_is_stopped_and_rolled_back(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the log-in has opened its session when it waits on the held table, and
    the session does not stay. On SQLite it waits for the database's write lock at that
    first write, and the answer comes once SQLite gives the wait up (its busy timeout)."""
    bob = await users.create("Bob Builder")
    within(runtime, monkeypatch, request_timeout=timedelta(seconds=1))
    async with writes_held(backend, LAST_LOG_IN_TABLE):
        status, media_type, request_id, body = await post(
            http, LOG_IN, log_in(bob), accept=GRAPHQL_RESPONSE
        )
    assert (status, media_type) == (504, GRAPHQL_RESPONSE)
    assert body == {"errors": [timeout_error(request_id)]}
    assert await sessions_of(bob) == 1

    # Nothing is left stuck: the same log-in goes through now.
    assert (await graphql.data(LOG_IN, log_in(bob)))["logIn"]["errors"] == []
    assert await sessions_of(bob) == 2


async def test_mutations_stopped_while_their_transaction_begins_leave_the_database_free(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The timeout lands inside Tortoise's entry into the log-in's transaction, after it took
    the database (SQLite's one connection, a connection of PostgreSQL's pool) and sent BEGIN.
    Stopped there once more than the pool holds, the log-ins answer TIMEOUT, open nothing,
    and the next one goes through: no lock stays held, no connection stays out."""
    bob = await users.create("Bob Builder")
    async with transaction() as connection:
        wrapper = type(connection)
    stops = getattr(connections.get("default"), "pool_maxsize", 1) + 1
    begin = wrapper.begin

    async def slow_begin(self: Any) -> None:
        await begin(self)
        await asyncio.sleep(0.5)

    within(runtime, monkeypatch, request_timeout=timedelta(milliseconds=200))
    monkeypatch.setattr(wrapper, "begin", slow_begin)
    for _ in range(stops):
        status, _, request_id, body = await post(http, LOG_IN, log_in(bob), accept=GRAPHQL_RESPONSE)
        assert (status, body) == (504, {"errors": [timeout_error(request_id)]})
    monkeypatch.setattr(wrapper, "begin", begin)
    within(runtime, monkeypatch, request_timeout=timedelta(seconds=10))

    async with asyncio.timeout(5):
        assert (await graphql.data(LOG_IN, log_in(bob)))["logIn"]["errors"] == []
    assert await sessions_of(bob) == 2


async def test_a_statement_held_past_the_database_timeout_answers_timeout(
    http: TestClient[Any, Any], users: UserFactory, backend: Backend, settings: Settings
) -> None:
    """PostgreSQL's statement_timeout ends the wait for the table's lock; SQLite's busy
    timeout the wait for the write lock. Either is TIMEOUT on the field, with the request
    id, and the transaction it was in rolls back."""
    assert settings.database_statement_timeout < settings.request_timeout
    bob = await users.create("Bob Builder")
    async with writes_held(backend, LAST_LOG_IN_TABLE):
        status, _, request_id, body = await post(
            http, LOG_IN, log_in(bob), accept="application/json"
        )
    assert status == 200
    [error] = body["errors"]
    assert error == timeout_error(request_id, locations=error["locations"], path=["logIn"])
    assert body["data"] is None
    assert await sessions_of(bob) == 1


@pytest.fixture
async def stalling_stripe(
    stripe_server: StripeServer, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The app's Stripe client, built as the server builds it, talking to the Stripe stand-in
    through a proxy the test can stall; ``stripe_timeout`` is the given one."""
    stripe_server.reset()
    target = urlsplit(stripe_server.url)
    providers: list[PaymentProvider] = []

    async def through(proxy: CuttableProxy, stripe_timeout: timedelta) -> None:
        changed = runtime.settings.with_overrides(
            stripe_api_base=f"http://127.0.0.1:{proxy.port}", stripe_timeout=stripe_timeout
        )
        providers.append(PaymentProvider(changed))
        monkeypatch.setattr(runtime, "payments", providers[-1])

    async with cuttable(target.hostname or "127.0.0.1", target.port or 80) as proxy:
        yield proxy, through
    for provider in providers:
        await provider.close()


async def test_a_stripe_that_never_answers_is_payment_provider_unavailable(
    graphql: GraphQLClient, users: UserFactory, stalling_stripe: Any
) -> None:
    proxy, through = stalling_stripe
    await through(proxy, timedelta(seconds=1))
    client = await users.create("Carla Client")
    async with proxy.stalled():
        added = await graphql.data(ADD_PAYMENT_METHOD, token=client.token)
    assert added["addPaymentMethod"] == {
        "clientSecret": None,
        "errors": [
            {
                "field": None,
                "code": "PAYMENT_PROVIDER_UNAVAILABLE",
                "message": "The payment provider is unavailable; try again shortly.",
            }
        ],
    }
    assert await StripeCustomer.all().count() == 0

    # Stripe answering again, saving a card starts.
    added = await graphql.data(ADD_PAYMENT_METHOD, token=client.token)
    assert added["addPaymentMethod"]["errors"] == []


async def test_an_operation_past_the_request_timeout_is_stopped(
    http: TestClient[Any, Any],
    users: UserFactory,
    runtime: Runtime,
    stalling_stripe: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stripe's own wait is longer than the request's here, so the request's ends it: a 504
    without data in the spec's media type, a 200 with null data for a legacy client."""
    proxy, through = stalling_stripe
    await through(proxy, timedelta(seconds=30))
    within(runtime, monkeypatch, request_timeout=timedelta(seconds=1))
    client = await users.create("Carla Client")
    headers = {"Authorization": f"Bearer {client.token}"}
    async with proxy.stalled():
        answers = [
            await post(http, ADD_PAYMENT_METHOD, {}, accept=accept, headers=headers)
            for accept in (GRAPHQL_RESPONSE, "application/json")
        ]
    (status, media_type, request_id, body), legacy = answers
    assert (status, media_type) == (504, GRAPHQL_RESPONSE)
    assert body == {"errors": [timeout_error(request_id)]}
    status, media_type, request_id, body = legacy
    assert (status, media_type) == (200, "application/json")
    assert body == {"data": None, "errors": [timeout_error(request_id)]}
    assert await StripeCustomer.all().count() == 0


async def test_a_subscription_outlives_the_request_timeout(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    within(runtime, monkeypatch, request_timeout=timedelta(seconds=2))
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor)
    async with subscribed(http.ws_connect, token=mentor.token) as socket:
        assert await socket.silent_for(2.5)
        await request_job(graphql, client, mentor_id)
        assert (await socket.notification())["kind"] == "JOB_REQUESTED"


async def until_tried(address: str) -> OutboxEmail:
    """The mail to ``address`` once a delivery of it has ended (the SMTP timeout is 5 s)."""
    for _ in range(1000):
        row = await OutboxEmail.get(to_address=address)
        if row.attempts:
            return row
        await asyncio.sleep(0.02)
    raise AssertionError("no delivery of the mail ended")


async def test_a_stalled_mail_relay_keeps_the_mail_for_a_retry_and_blocks_nothing(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, mailbox: Mailbox
) -> None:
    bob = await users.create("Bob Builder")
    mailbox.stall = True
    assert (await graphql.data(SIGN_UP, ALICE))["signUp"]["errors"] == []
    await mailbox.until_stalled()

    # While the worker waits on the relay, requests are answered (on SQLite, too, whose one
    # connection no delivery holds).
    me = await graphql.data(ME, token=bob.token)
    assert me["me"]["name"] == "Bob Builder"
    still_sending = await OutboxEmail.get(to_address="alice@example.com")
    assert still_sending.attempts == 0

    tried = await until_tried("alice@example.com")
    assert (tried.status, tried.attempts, tried.last_error) == (
        OutboxStatus.PENDING,
        1,
        "TimeoutError",
    )
    assert tried.next_attempt_at > datetime.now(UTC)
    assert mailbox.to("alice@example.com") == []

    mailbox.stall = False
    await OutboxEmail.filter(id=tried.id).update(next_attempt_at=datetime.now(UTC))
    assert await runtime.outbox.deliver_outbox() == 1
    assert [str(m["Subject"]) for m in mailbox.to("alice@example.com")] == [
        "Verify your email address"
    ]


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        ({"REQUEST_TIMEOUT_SECONDS": "10"}, "DATABASE_STATEMENT_TIMEOUT_SECONDS"),
        ({"STRIPE_TIMEOUT_SECONDS": "10"}, "STRIPE_TIMEOUT_SECONDS x"),
    ],
)
def test_the_request_timeout_must_outlast_the_waits_inside_it(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], named: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///tmp/mentor-timeouts.sqlite3")
    monkeypatch.setenv("SECRET_KEY", "a-secret")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"REQUEST_TIMEOUT_SECONDS .* than {named}"):
        Settings.from_env()

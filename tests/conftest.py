"""Shared fixtures: one app per test run on the chosen backend, real SMTP, clean tables per test.

``MENTOR_TEST_BACKEND=postgres`` runs against the PostgreSQL and Redis servers on this machine
(``TEST_DATABASE_URL``/``TEST_REDIS_URL``); each run creates its own database and drops it,
and keeps its Redis keys under a prefix of its own, removed at the end. The default,
``embedded``, runs on a SQLite file with in-process stand-ins. An unreachable server fails
the run: nothing is skipped for want of a service.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer
from tortoise import Tortoise, connections

from app.access_log import PrivateAccessLogger
from app.db import apply_migrations
from app.keys import RUNTIME
from app.server import create_app
from app.tasks import BackgroundWork
from core.runtime import Runtime
from core.settings import ClientBudgets, PasswordHashing, QueryBudget, Settings
from services.throttle import MemoryThrottle
from tests.support.backends import Backend, postgres_backend, sqlite_backend
from tests.support.graphql import GraphQLClient
from tests.support.promises import proofs as promise_proofs
from tests.support.promises import render as render_promise_map
from tests.support.smtp import Mailbox, running_smtp_server
from tests.support.stripe_server import (
    TEST_SECRET_KEY,
    TEST_WEBHOOK_SECRET,
    StripeServer,
    running_stripe_server,
)
from tests.support.users import UserFactory

BACKEND = os.environ.get("MENTOR_TEST_BACKEND", "embedded")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--promises", action="store_true", help="list which tests prove which policy promise"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"mentor-api backend: {BACKEND}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--promises"):
        print(render_promise_map(promise_proofs()))


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    with running_smtp_server() as box:
        yield box


@pytest.fixture(scope="session")
async def backend(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backend]:
    data_dir = tmp_path_factory.mktemp("mentor-data")
    if BACKEND == "postgres":
        async with postgres_backend(data_dir) as chosen:
            yield chosen
    elif BACKEND == "embedded":
        async with sqlite_backend(data_dir) as chosen:
            yield chosen
    else:
        raise pytest.UsageError(f"MENTOR_TEST_BACKEND must be postgres or embedded, not {BACKEND}")


@pytest.fixture(scope="session")
async def stripe_server() -> AsyncIterator[StripeServer]:
    """A Stripe-compatible server on loopback; the app's real Stripe client talks to it."""
    async with running_stripe_server() as server:
        yield server


@pytest.fixture(scope="session")
def web_client_socket() -> Iterator[socket.socket]:
    """A loopback port held for the tests' web client pages: its origin is in CORS_ORIGINS."""
    with socket.create_server(("127.0.0.1", 0)) as held:
        yield held


@pytest.fixture(scope="session")
def settings(
    backend: Backend,
    mailbox: Mailbox,
    stripe_server: StripeServer,
    web_client_socket: socket.socket,
) -> Settings:
    return Settings(
        database_url=backend.database_url,
        redis_url=backend.redis_url,
        redis_key_prefix=backend.redis_prefix,
        secret_key="test-secret-key-" + uuid.uuid4().hex,
        data_dir=backend.data_dir,
        smtp_url=mailbox.url,
        development=False,
        # Production's defaults otherwise: the suite reads the schema and drives GraphiQL
        # (tests/test_production_posture.py serves with both off).
        graphql_introspection=True,
        graphiql=True,
        cookie_secure=False,
        cors_origins=(f"http://127.0.0.1:{web_client_socket.getsockname()[1]}",),
        password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1),
        stripe_api_base=stripe_server.url,
        stripe_secret_key=TEST_SECRET_KEY,
        stripe_webhook_secret=TEST_WEBHOOK_SECRET,
        stripe_max_network_retries=0,
        # Every test shares one anonymous network (loopback): none may wait on another's cost.
        # tests/test_query_cost.py proves the default budgets refuse.
        query_budgets=ClientBudgets(*[QueryBudget(10**9, 10**6)] * 4),
        # Short enough for a test to wait out (tests/test_timeouts.py), long enough for any
        # statement or mail of the suite on a loaded machine.
        database_statement_timeout=timedelta(seconds=3),
        smtp_timeout=timedelta(seconds=5),
    )


@pytest.fixture(scope="session")
async def http(settings: Settings, backend: Backend) -> AsyncIterator[TestClient[Any, Any]]:
    await apply_migrations(settings.database_url)
    app = create_app(settings, run_migrations=False)
    # No cookie jar: a test that wants the session cookie sends it, so cookies never leak
    # from one request (or test) into the next.
    # The access log of production (`mentor-api serve`), which leaves out addresses and queries.
    server = TestServer(app, host="127.0.0.1", access_log_class=PrivateAccessLogger)
    async with TestClient(server, cookie_jar=DummyCookieJar()) as client:
        # Each test starts from a freshly migrated database, the rows it wrote included.
        await backend.remember_migrated_rows(Tortoise.apps)
        yield client


@pytest.fixture(scope="session")
def runtime(http: TestClient[Any, Any]) -> Runtime:
    return http.app[RUNTIME]


async def wipe(backend: Backend, runtime: Runtime, mailbox: Mailbox) -> None:
    """Tables as the migrations left them, empty throttles and an empty mailbox. The
    background work of the test before (a woken task, the sweep) is let finish first and held
    meanwhile: on PostgreSQL a job's locks and the TRUNCATE could deadlock."""
    assert isinstance(runtime.outbox, BackgroundWork)
    async with runtime.outbox.paused():
        await backend.truncate(connections.get("default"), Tortoise.apps)
    if runtime.redis is not None:
        await backend.forget_redis_keys(runtime.redis)
    else:
        runtime.throttle = MemoryThrottle()
    mailbox.clear()


@pytest.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest, backend: Backend) -> AsyncIterator[None]:
    """Each test starts from a clean state, except in a ``shared_state`` module, whose tests
    only read the one state its own fixture wiped and set up for them."""
    if "http" not in request.fixturenames or request.node.get_closest_marker("shared_state"):
        yield
        return
    await wipe(backend, request.getfixturevalue("runtime"), request.getfixturevalue("mailbox"))
    yield


@pytest.fixture
def graphql(http: TestClient[Any, Any]) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
def users(runtime: Runtime) -> UserFactory:
    return UserFactory(runtime)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With MENTOR_FORBID_SKIPS=1 (CI), a skipped test or an empty run fails the run."""
    if os.environ.get("MENTOR_FORBID_SKIPS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\n{skipped} test(s) skipped: CI runs every test on every backend")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if session.testscollected == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.runtime import Runtime
from services.notifications.bus import InProcessBus, RedisBus
from tests.support.stripe_server import StripeServer

# Checked this often, a revoked session's subscription ends within a test's patience.
QUICK = timedelta(milliseconds=100)
Bus = InProcessBus | RedisBus


@pytest.fixture
def stripe(stripe_server: StripeServer, http: TestClient[Any, Any]) -> StripeServer:
    """The Stripe-compatible server, emptied, delivering its events to this app."""
    stripe_server.reset()
    stripe_server.webhook_url = str(http.make_url("/webhooks/stripe"))
    return stripe_server


@asynccontextmanager
async def installed(runtime: Runtime, bus: Bus) -> AsyncIterator[Bus]:
    """``bus`` as the app's, for one test."""
    previous = runtime.notifications
    await bus.start()
    runtime.notifications = bus
    try:
        yield bus
    finally:
        runtime.notifications = previous
        await bus.close()


@pytest.fixture(params=["in-process", "backend"])
async def bus(request: pytest.FixtureRequest, runtime: Runtime) -> AsyncIterator[Bus]:
    """A fresh bus checking its subscriptions often: the in-process stand-in, on both
    backends, and the backend's own (Redis with PostgreSQL, in process when embedded)."""
    fresh: Bus
    if request.param == "backend" and runtime.redis is not None:
        fresh = RedisBus(runtime.redis, runtime.settings.redis_key_prefix, QUICK)
    else:
        fresh = InProcessBus(QUICK)
    async with installed(runtime, fresh):
        yield fresh

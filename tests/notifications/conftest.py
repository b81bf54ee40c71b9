from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.support.stripe_server import StripeServer


@pytest.fixture
def stripe(stripe_server: StripeServer, http: TestClient[Any, Any]) -> StripeServer:
    """The Stripe-compatible server, emptied, delivering its events to this app."""
    stripe_server.reset()
    stripe_server.webhook_url = str(http.make_url("/webhooks/stripe"))
    return stripe_server

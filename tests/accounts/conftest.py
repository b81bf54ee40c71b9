"""Fixtures of the account tests: a login provider's loopback peer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.oauth_peers import ProviderPeer, running_provider_peer


@pytest.fixture
def peer(request: pytest.FixtureRequest) -> Iterator[ProviderPeer]:
    """The peer of the kind the test is parametrized with (``kinds(...)``)."""
    with running_provider_peer(request.param) as running:
        yield running

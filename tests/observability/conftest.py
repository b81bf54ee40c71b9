"""Scraping /metrics as Prometheus does, with the bearer token production asks for."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from core.runtime import Runtime

METRICS_TOKEN = "scrape-token-for-tests"

Scrape = Callable[[], Awaitable["Scraped"]]


class Scraped:
    """One scrape's text and its samples, parsed by prometheus-client's own parser."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples = [
            sample for family in text_string_to_metric_families(text) for sample in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sample's value; 0 for a labelled series not counted yet."""
        for sample in self.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
        return 0.0

    def grew(self, since: Scraped, name: str, **labels: str) -> float:
        """How much the sample grew since an earlier scrape."""
        return self.value(name, **labels) - since.value(name, **labels)

    def has(self, name: str) -> bool:
        return any(sample.name == name for sample in self.samples)

    def label_values(self) -> set[str]:
        return {value for sample in self.samples for value in sample.labels.values()}


@pytest.fixture
def with_settings(runtime: Runtime) -> Iterator[Callable[..., None]]:
    """Change settings for one test; put back afterwards."""
    original = runtime.settings

    def change(**changes: Any) -> None:
        runtime.settings = original.with_overrides(**changes)

    yield change
    runtime.settings = original


@pytest.fixture
def scrape(http: TestClient[Any, Any], with_settings: Callable[..., None]) -> Scrape:
    with_settings(metrics_token=METRICS_TOKEN)

    async def scraped() -> Scraped:
        response = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status == 200, await response.text()
        assert response.content_type == "text/plain"
        return Scraped(await response.text())

    return scraped


def refused_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

"""Admission: a process runs a bounded number of GraphQL requests at once; one that waited too
long for its turn is told to come back (429 RATE_LIMITED), never left to time out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.admission import ADMISSION, Admission

QUERY = {"query": "{ mentors(first: 1) { totalCount } }"}


@pytest.fixture
def gate(http: TestClient[Any, Any]) -> Iterator[Admission]:
    """The test server's gate, put back as it was afterwards."""
    admission = http.server.app[ADMISSION]
    kept = (admission.capacity, admission.wait, admission._gate)
    yield admission
    admission.capacity, admission.wait, admission._gate = kept


def _narrowed(admission: Admission, capacity: int, wait: float) -> None:
    admission.capacity, admission.wait = capacity, wait
    admission._gate = asyncio.Semaphore(capacity)


@pytest.mark.parametrize(
    "accept", ["application/graphql-response+json", "application/json"], ids=["current", "legacy"]
)
async def test_a_request_that_finds_no_place_in_time_is_told_to_retry(
    http: TestClient[Any, Any], gate: Admission, accept: str
) -> None:
    _narrowed(gate, capacity=0, wait=0.05)
    response = await http.post("/graphql", json=QUERY, headers={"Accept": accept})
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"
    assert response.content_type == accept
    body = await response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}


async def test_requests_beyond_the_capacity_wait_their_turn_and_are_answered(
    http: TestClient[Any, Any], gate: Admission
) -> None:
    _narrowed(gate, capacity=1, wait=30)
    responses = await asyncio.gather(
        *(
            http.post("/graphql", json=QUERY, headers={"Accept": "application/json"})
            for _ in range(4)
        )
    )
    assert [response.status for response in responses] == [200] * 4
    for response in responses:
        assert "errors" not in await response.json()


async def test_what_is_not_a_graphql_request_is_not_counted(
    http: TestClient[Any, Any], gate: Admission
) -> None:
    _narrowed(gate, capacity=0, wait=0.05)
    assert (await http.get("/healthz")).status == 200

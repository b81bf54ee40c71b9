"""How a plan meets requests: it shares the event loop as graphql-core's completion does (once
the loop's slice is spent, the rest of a long list completes in a later turn), and it is found
however a client names its document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from graphql import parse, print_ast

from app.keys import PLANS
from core import limits
from core.metrics import PLAN_EXECUTIONS
from resolvers.plans import running
from services.documents import sha256_hex
from tests.marketplace.test_no_n_plus_one import _seed
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, without_cost


def answered() -> float:
    return PLAN_EXECUTIONS.labels("Mentors", "answered")._value.get()


async def test_a_long_page_is_completed_over_several_turns_of_the_loop(
    http: TestClient[Any, Any], graphql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _seed(30)
    with http.app[PLANS].turned_off():
        expected = await graphql(document("Mentors"), {"first": 30})
    # No slice at all: every list of objects puts off its rest after its first item.
    monkeypatch.setattr(limits, "EXECUTION_TIME_SLICE", timedelta(0))
    turns: list[int] = []
    defer = running.Run.defer

    def counted(run: running.Run, work: Any) -> None:
        turns.append(1)
        defer(run, work)

    monkeypatch.setattr(running.Run, "defer", counted)
    before = answered()
    assert await graphql(document("Mentors"), {"first": 30}) == expected
    assert answered() == before + 1
    # The page's edges, then each mentor's testimonials and posts, were each put off.
    assert len(turns) >= 30


async def test_a_plan_runs_for_the_persisted_hash_and_the_printed_form_too(
    http: TestClient[Any, Any], graphql: GraphQLClient
) -> None:
    """Clients send a trusted query by its text, by the hash of its text or of its printed
    form (Apollo's persisted queries), or as printed: each reaches the same plan."""
    await _seed(3)
    text = document("Mentors")
    with http.app[PLANS].turned_off():
        expected = await graphql(text, {"first": 3})
    printed = print_ast(parse(text))
    sent: list[dict[str, Any]] = [
        {"query": printed},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(text)}}},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(printed)}}},
    ]
    for body in sent:
        before = answered()
        response = await http.post("/graphql", json={**body, "variables": {"first": 3}})
        assert without_cost(await response.json()) == expected
        assert answered() == before + 1, body

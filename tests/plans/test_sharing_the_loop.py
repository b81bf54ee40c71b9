"""A plan shares the event loop as graphql-core's completion does: once the loop's slice is
spent, the rest of a long list completes in a later turn, and the answer is the same."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.keys import PLANS
from core import limits
from core.metrics import PLAN_EXECUTIONS
from resolvers.plans import running
from tests.marketplace.test_no_n_plus_one import _seed
from tests.support.documents import document
from tests.support.graphql import GraphQLClient


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

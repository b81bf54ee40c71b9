"""SQL statements per request, counted as tests/marketplace/test_no_n_plus_one.py counts them
(tests/support/statements.py): from Tortoise's own debug log of each statement, in an app
served in this process (an aiohttp test server) on the benchmark's database and Redis.

A served process does not log its statements, and reading PostgreSQL's statistics would count
the background sweep and every other client of the server too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from app.server import create_app
from core.metrics import PLAN_EXECUTIONS
from core.settings import Settings
from tests.support.statements import counting_statements


@contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """The served app's environment, for reading its settings the way `serve` does."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def plan_outcomes() -> dict[str, float]:
    """This process's plan executions so far, by outcome."""
    totals: dict[str, float] = {}
    for family in PLAN_EXECUTIONS.collect():
        for sample in family.samples:
            if sample.name.endswith("_total"):
                outcome = sample.labels["outcome"]
                totals[outcome] = totals.get(outcome, 0) + sample.value
    return totals


async def count(
    env: dict[str, str], query: str, variables: list[dict[str, Any]]
) -> tuple[list[int], dict[str, float]]:
    """Statements each request sent (one request per variables) by the app `serve` starts
    with ``env``, and how many of them a plan answered or bailed on."""
    with environment(env):
        settings = Settings.from_env()
    app = create_app(settings, run_migrations=False, consume_background=False)
    counts = []
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        body = {"query": query, "variables": variables[0]}
        # The first request opens what the later ones reuse (the pool's connections).
        await client.post("/graphql", json=body)
        before = plan_outcomes()
        for given in variables:
            with counting_statements() as log:
                response = await client.post("/graphql", json={"query": query, "variables": given})
                answer = await response.json()
            if answer.get("errors"):
                raise SystemExit(f"counting statements: the app answered {answer['errors']}")
            counts.append(len(log.statements))
    after = plan_outcomes()
    ran = {outcome: n - before.get(outcome, 0) for outcome, n in after.items()}
    return counts, {outcome: n for outcome, n in ran.items() if n}

"""Production shows no more of the API than its clients need: no introspection, no GraphiQL
and no field suggestions unless an operator turns the first two on; development keeps them.

Served by a real ``mentor-api serve`` in ``MENTOR_ENV=production`` (the suite's own app turns
both on: tests/conftest.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.settings import Settings
from tests.support.backends import sqlite_backend
from tests.support.graphql import assert_no_stack_trace
from tests.support.processes import environment, serving

GRAPHQL_RESPONSE = "application/graphql-response+json"
INTROSPECTIONS = ("{ __schema { queryType { name } } }", '{ __type(name: "Query") { name } }')
MISSPELT = "{ mentorz(first: 1) { edges { node { id } } } }"


@asynccontextmanager
async def served(tmp_path: Path, **extra: str) -> AsyncIterator[str]:
    """One ``mentor-api serve`` in production, on a SQLite file of its own: its URL."""
    async with (
        sqlite_backend(tmp_path) as backend,
        serving(environment(backend, **extra), tmp_path, count=1) as (url,),
    ):
        yield url


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def post(session: aiohttp.ClientSession, url: str, query: str) -> tuple[int, Any]:
    async with session.post(
        f"{url}/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    ) as response:
        text = await response.text()
    assert_no_stack_trace(text)
    return response.status, json.loads(text)


async def get(session: aiohttp.ClientSession, url: str, path: str) -> tuple[int, str, str]:
    async with session.get(f"{url}{path}", headers={"Accept": "text/html"}) as response:
        return response.status, response.content_type, await response.text()


async def test_production_refuses_introspection_graphiql_and_suggestions(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with served(tmp_path) as url:
        for query in INTROSPECTIONS:
            status, body = await post(session, url, query)
            assert status == 400
            assert "data" not in body and body["errors"]
            for error in body["errors"]:
                assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
                assert "introspection has been disabled" in error["message"]
        status, body = await post(session, url, "{ __typename }")
        assert (status, body["data"]) == (200, {"__typename": "Query"})

        status, body = await post(session, url, MISSPELT)
        assert status == 400 and "Did you mean" not in json.dumps(body)

        status, media_type, text = await get(session, url, "/graphql")
        assert (status, media_type) == (404, "application/json")
        assert "<html" not in text
        status, _, _ = await get(session, url, "/graphiql/static/mentor-graphiql.js")
        assert status == 404


async def test_an_operator_may_turn_introspection_and_graphiql_on(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    async with served(tmp_path, GRAPHQL_INTROSPECTION="1", GRAPHIQL="1") as url:
        status, body = await post(session, url, INTROSPECTIONS[0])
        assert (status, body["data"]) == (200, {"__schema": {"queryType": {"name": "Query"}}})
        status, media_type, text = await get(session, url, "/graphql")
        # The page, or, where GraphiQL's files were never fetched, how to fetch them.
        assert media_type == "text/html" and "GraphiQL" in text, status


@pytest.mark.parametrize(
    ("env", "introspection", "graphiql"),
    [
        ({"MENTOR_ENV": "development"}, True, True),
        ({"MENTOR_ENV": "production"}, False, False),
        ({"MENTOR_ENV": "production", "GRAPHQL_INTROSPECTION": "1"}, True, False),
        ({"MENTOR_ENV": "production", "GRAPHIQL": "yes"}, False, True),
        (
            {"MENTOR_ENV": "development", "GRAPHQL_INTROSPECTION": "0", "GRAPHIQL": "off"},
            False,
            False,
        ),
    ],
)
def test_introspection_and_graphiql_follow_the_environment_unless_set(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    introspection: bool,
    graphiql: bool,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GRAPHQL_INTROSPECTION", raising=False)
    monkeypatch.delenv("GRAPHIQL", raising=False)
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "a-secret-for-this-test")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    assert (settings.graphql_introspection, settings.graphiql) == (introspection, graphiql)

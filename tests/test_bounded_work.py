"""Bounded work per request: an operation the cost limit lets through still shares the event
loop and ends at its deadline, and no answer grows past the bounds of one response (list
items, bytes, errors, directives in one place)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.graphql_http import GRAPHQL_RESPONSE
from core import limits
from core.runtime import Runtime
from resolvers.extensions import TIMEOUT_MESSAGE
from services import posts
from tests.support.graphql import without_cost
from tests.support.heavy_page import HEAVIEST_ALLOWED, seed_mentors

BYSTANDER = "query Bystander { mentors(first: 1) { edges { node { name } } } }"


async def post(http: TestClient[Any, Any], query: str) -> tuple[int, dict[str, Any]]:
    response = await http.post(
        "/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    body: dict[str, Any] = await response.json(content_type=None)
    return response.status, body


async def test_the_heaviest_allowed_operation_is_cut_off_while_a_bystander_is_answered(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its rows load in a few statements; completing them is CPU work that once held the
    loop to the end, so the timeout could not fire and the bystander waited behind it. The
    short deadline is the heavy operation's alone: it is read as execution starts, and put
    back once the heavy one's rows are loaded (or it ended), before the bystander is sent."""
    await seed_mentors()
    loaded = asyncio.Event()
    load_posts = posts.top_rows_per

    async def noting_the_load(*args: Any, **kwargs: Any) -> Any:
        pages = await load_posts(*args, **kwargs)
        loaded.set()
        return pages

    monkeypatch.setattr(posts, "top_rows_per", noting_the_load)
    usual = runtime.settings
    monkeypatch.setattr(
        runtime, "settings", usual.with_overrides(request_timeout=timedelta(milliseconds=100))
    )

    heavy = asyncio.create_task(post(http, HEAVIEST_ALLOWED))
    # On a slow machine the deadline may pass before the rows are in: cut off all the same.
    rows_in = asyncio.create_task(loaded.wait())
    await asyncio.wait({heavy, rows_in}, return_when=asyncio.FIRST_COMPLETED)
    rows_in.cancel()
    monkeypatch.setattr(runtime, "settings", usual)
    bystander_status, bystander_body = await post(http, BYSTANDER)
    assert bystander_status == 200
    assert "errors" not in bystander_body

    status, body = await heavy
    assert status == 504
    [error] = body["errors"]
    assert error["message"] == TIMEOUT_MESSAGE
    assert error["extensions"]["code"] == "TIMEOUT"
    assert "data" not in body


ITEMS_PAGE = (
    "query Items { mentors(first: 10) { edges { node { name "
    "posts(first: 10) { edges { node { title } } } } } } }"
)


async def test_an_answer_over_the_list_item_bound_is_one_typed_error(
    http: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """10 mentors and their 10 posts each are 110 list items: over a bound of 100 the
    operation ends with RESPONSE_TOO_LARGE alone; at 110 it answers."""
    await seed_mentors(mentors=10, posts_each=10)
    monkeypatch.setattr(limits, "MAX_LIST_ITEMS_PER_RESPONSE", 100)
    status, body = await post(http, ITEMS_PAGE)
    assert status == 400
    assert without_cost(body) == {
        "errors": [
            {
                "message": "The answer would hold more than 100 list items, more than one "
                "response may; ask for smaller pages or fewer fields.",
                "extensions": {"code": "RESPONSE_TOO_LARGE", "limit": 100},
            }
        ]
    }

    monkeypatch.setattr(limits, "MAX_LIST_ITEMS_PER_RESPONSE", 110)
    status, body = await post(http, ITEMS_PAGE)
    assert status == 200
    assert len(body["data"]["mentors"]["edges"]) == 10


@pytest.mark.parametrize(
    ("accept", "status", "data"), [(GRAPHQL_RESPONSE, 400, {}), ("application/json", 200, None)]
)
async def test_an_answer_over_the_byte_bound_is_not_sent(
    http: TestClient[Any, Any],
    monkeypatch: pytest.MonkeyPatch,
    accept: str,
    status: int,
    data: dict[str, Any] | None,
) -> None:
    await seed_mentors(mentors=10, posts_each=10)
    response = await http.post("/graphql", json={"query": ITEMS_PAGE}, headers={"Accept": accept})
    assert len(await response.read()) > 2000
    monkeypatch.setattr(limits, "MAX_RESPONSE_BYTES", 2000)

    response = await http.post("/graphql", json={"query": ITEMS_PAGE}, headers={"Accept": accept})
    assert (response.status, response.content_type) == (status, accept)
    assert await response.json(content_type=None) == {
        "errors": [
            {
                "message": "The answer would hold more than 2000 bytes, more than one "
                "response may; ask for smaller pages or fewer fields.",
                "extensions": {"code": "RESPONSE_TOO_LARGE", "limit": 2000},
            }
        ],
        **({} if data == {} else {"data": data}),
    }


async def test_repeated_unknown_directives_are_one_error_and_the_directive_bound(
    http: TestClient[Any, Any],
) -> None:
    """The issue's reproducer: 50 copies of an unknown directive answered 50 errors."""
    status, body = await post(http, "{ __typename" + " @nope" * 50 + " }")
    assert status == 400
    assert without_cost(body, ran=False) == {
        "errors": [
            {
                "message": "At most 5 directives may stand in one place; this one has 50.",
                "locations": [{"line": 1, "column": 14 + 6 * 5}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            },
            {
                "message": "Unknown directive '@nope'.",
                "locations": [{"line": 1, "column": 14 + 6 * n} for n in range(50)],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            },
        ]
    }


async def test_hundreds_of_unknown_directives_are_a_few_short_errors(
    http: TestClient[Any, Any],
) -> None:
    """Above 200, graphql-core's own cap gave 101 errors in 12.7 KB."""
    response = await http.post(
        "/graphql",
        json={"query": "{ __typename" + " @nope" * 300 + " }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    raw = await response.read()
    body = await response.json(content_type=None)
    assert response.status == 400
    assert [error["message"] for error in body["errors"]] == [
        "At most 5 directives may stand in one place; this one has 300.",
        "Unknown directive '@nope'.",
        "Too many validation errors, error limit reached. Validation aborted.",
    ]
    assert len(raw) < 4000


async def test_more_errors_than_the_bound_end_with_how_many_were_left_out(
    http: TestClient[Any, Any],
) -> None:
    """Sixty different unknown fields: 49 errors, then one counting the other 11."""
    status, body = await post(http, "{ " + " ".join(f"f{n}" for n in range(60)) + " }")
    assert status == 400
    errors = body["errors"]
    assert len(errors) == limits.MAX_ERRORS_PER_RESPONSE
    assert errors[0]["message"] == "Cannot query field 'f0' on type 'Query'."
    assert errors[-2]["message"] == "Cannot query field 'f48' on type 'Query'."
    assert errors[-1] == {
        "message": "11 more errors were left out of this response.",
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED", "omitted": 11},
    }

"""Query cost and per-client budgets, at the HTTP boundary: what a document costs, the cost
bomb refused before any SQL, ``extensions.cost`` and the rate-limit headers on every result,
and an empty bucket refused with 429.

The suite runs with generous budgets (tests/conftest.py); ``default_budgets`` puts back the
ones a deployment starts with, in a fresh store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from core import limits
from core.runtime import Runtime
from core.settings import ClientBudgets
from models.accounts import StaffPermission
from models.marketplace import Post, PostStatus
from services.budgets import MemoryBudgets, RedisBudgets, ResilientBudgets
from tests.marketplace.helpers import become_mentor
from tests.partner_apps.helpers import create_partner_app, partner_manager
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.statements import StatementCounter, counting_statements
from tests.support.users import UserFactory

GRAPHQL_RESPONSE = "application/graphql-response+json"
MENTORS = document("Mentors")

# graphql/Mentors.graphql written with a named fragment and an inline one.
MENTORS_IN_FRAGMENTS = """
query MentorsInFragments {
  mentors(first: 20) { ...Page }
}
fragment Page on MentorConnection {
  totalCount
  pageInfo { hasNextPage endCursor }
  edges { node { ...Card } }
}
fragment Card on Mentor {
  id name headline expertise rating
  ... on Mentor {
    hourlyRate { amountCents currency }
    testimonials(first: 3) { edges { node { rating text authorName } } }
    posts(first: 3) { edges { node { id title likeCount } } }
  }
}
"""

# 100 mentors, each with 23 posts: 1 + 100 x (edge 1 + node 1 + posts 1 + 23 x (edge + node)).
COSTS_4901 = (
    "{ mentors(first: 100) { edges { node { posts(first: 23) { edges { node { id } } } } } } }"
)

# Within the depth limit, 100 mentors x 100 posts x their author's 100 posts, 30 times over.
BOMB = (
    "{ "
    + " ".join(
        f"m{i}: mentors(first: 100) {{ edges {{ node {{ posts(first: 100) {{ edges {{ node {{ "
        "author { posts(first: 100) { edges { node { id } } } } } } } } } }"
        for i in range(30)
    )
    + " }"
)


async def post(
    http: TestClient[Any, Any],
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    accept: str = GRAPHQL_RESPONSE,
    token: str | None = None,
) -> tuple[ClientResponse, dict[str, Any]]:
    headers = {"Accept": accept}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = await response.json(content_type=None)
    return response, body


async def requested(http: TestClient[Any, Any], query: str, **variables: Any) -> int:
    _, body = await post(http, query, variables)
    assert "errors" not in body, body["errors"]
    cost: int = body["extensions"]["cost"]["requested"]
    return cost


@pytest.fixture
def statements() -> Iterator[StatementCounter]:
    """The SQL statements Tortoise sends while the test runs."""
    with counting_statements() as counter:
        yield counter


@pytest.fixture
def default_budgets(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The budgets a deployment starts with, in a store of the backend's kind, empty."""
    settings = runtime.settings.with_overrides(query_budgets=ClientBudgets())
    monkeypatch.setattr(runtime, "settings", settings)
    if runtime.redis is None:
        monkeypatch.setattr(runtime, "budgets", MemoryBudgets())
    else:
        store = RedisBudgets(runtime.redis, settings.redis_key_prefix)
        monkeypatch.setattr(
            runtime, "budgets", ResilientBudgets(store, settings.budgets_without_redis)
        )


async def test_the_mentors_page_costs_each_object_times_its_pages(
    http: TestClient[Any, Any],
) -> None:
    # 1 mentors + 1 pageInfo + 20 x (edge + node + hourlyRate + testimonials + 3 x (edge +
    # node) + posts + 3 x (edge + node)).
    assert await requested(http, MENTORS) == 2 + 20 * 17
    assert await requested(http, MENTORS, first=5) == 2 + 5 * 17
    # Without `first` a page is MAX_PAGE_SIZE long.
    assert await requested(http, "{ mentors { edges { node { id } } } }") == 1 + 100 * 2
    assert await requested(http, "{ mentors(last: 7) { edges { node { id } } } }") == 1 + 7 * 2


async def test_fragments_and_inline_fragments_cost_what_they_select(
    http: TestClient[Any, Any],
) -> None:
    assert await requested(http, MENTORS_IN_FRAGMENTS) == await requested(http, MENTORS)


async def test_a_field_declares_what_it_costs_beyond_one(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    assert await requested(http, "{ mentors(first: 1) { totalCount } }") == 1
    searching = (
        "query ($text: String) { mentors(first: 1, filter: {search: $text}) { totalCount } }"
    )
    assert await requested(http, searching, text="python") == 21
    assert await requested(http, searching) == 1
    alice = await users.create("Alice")
    _, body = await post(http, "{ recommendedMentors(first: 1) { totalCount } }", token=alice.token)
    assert body["extensions"]["cost"]["requested"] == 20


async def test_actual_counts_the_items_the_answer_held(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory
) -> None:
    _, body = await post(http, MENTORS)
    # Nothing to list: the connection and its pageInfo.
    assert body["extensions"]["cost"] == {
        **body["extensions"]["cost"],
        "requested": 342,
        "actual": 2,
    }
    for name in ("Alice", "Bob"):
        await become_mentor(graphql, await users.create(name), payout_ready=False)
    _, body = await post(http, MENTORS)
    # Each mentor: edge, node, hourlyRate and two empty connections.
    assert body["extensions"]["cost"]["actual"] == 2 + 2 * 5


async def test_actual_counts_each_item_of_the_nested_pages(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory
) -> None:
    for name, posts in (("Alice", 2), ("Bob", 5)):
        author = await users.create(name)
        await become_mentor(graphql, author, payout_ready=False)
        for number in range(posts):
            await Post.create(
                author=author.user,
                title=f"Post {number}",
                body="b",
                status=PostStatus.PUBLISHED,
                published_at=datetime.now(UTC),
            )
    _, body = await post(http, MENTORS)
    # Each mentor as above, and an edge and a node for each of the 3 posts at most it shows.
    assert body["extensions"]["cost"]["actual"] == 2 + (5 + 2 * 2) + (5 + 2 * 3)
    # Edges of scalars alone: the connection and one point per edge.
    _, body = await post(http, "{ mentors(first: 5) { edges { cursor } } }")
    assert body["extensions"]["cost"]["actual"] == 1 + 2


async def test_a_cost_bomb_is_refused_before_any_sql(
    http: TestClient[Any, Any], statements: StatementCounter
) -> None:
    statements.statements.clear()
    response, body = await post(http, BOMB)
    assert statements.statements == []
    assert response.status == 400
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "cost": 30 * (1 + 100 * (2 + 1 + 100 * (2 + 1 + 1 + 100 * 2))),
        "limit": limits.MAX_QUERY_COST,
    }
    assert body["extensions"]["cost"]["requested"] == error["extensions"]["cost"]
    assert body["extensions"]["cost"]["actual"] == 0


async def test_the_largest_operation_allowed_costs_the_limit(http: TestClient[Any, Any]) -> None:
    assert limits.MAX_QUERY_COST == 5000
    assert await requested(http, COSTS_4901) == 4901
    response, body = await post(
        http,
        "{ mentors(first: 100) { edges { node { posts(first: 25) { edges { node { id } } } } } } }",
    )
    assert (response.status, body["errors"][0]["extensions"]["cost"]) == (400, 5301)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("{ mentors { ", 400),
        ("{ mentorz { totalCount } }", 400),
        ("query ($n: Int) { mentors(first: $n) { totalCount } }", 200),
        ("mutation { logOut { errors { code } } }", 200),
        (BOMB, 400),
    ],
    ids=["parse error", "validation error", "query", "mutation", "too complex"],
)
async def test_every_result_carries_its_cost_and_the_bucket(
    http: TestClient[Any, Any], default_budgets: None, query: str, status: int
) -> None:
    response, body = await post(http, query)
    assert response.status == status
    cost = body["extensions"]["cost"]
    assert set(cost) == {"requested", "actual", "throttleStatus"}
    assert cost["throttleStatus"]["maximumAvailable"] == 5000
    assert cost["throttleStatus"]["restoreRate"] == 50
    remaining = cost["throttleStatus"]["currentlyAvailable"]
    # A document that never ran is charged 1; one that ran, what it asked for.
    charged = 1 if status == 400 else max(cost["requested"], 1)
    assert remaining == 5000 - charged
    assert response.headers["X-RateLimit-Limit"] == "5000"
    assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    assert response.headers["X-RateLimit-Reset"] == str(-(-charged // 50))
    assert "Retry-After" not in response.headers


async def test_an_empty_bucket_refuses_with_429_and_retry_after(
    http: TestClient[Any, Any], default_budgets: None
) -> None:
    response, body = await post(http, COSTS_4901)
    assert (response.status, response.headers["X-RateLimit-Remaining"]) == (200, "99")

    response, body = await post(http, COSTS_4901)
    assert response.status == 429
    assert "data" not in body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"].startswith("This operation costs 4901 points and your budget holds")
    retry_after = error["extensions"]["retryAfter"]
    # The 4 802 points missing come back at 50 a second.
    assert 90 <= retry_after <= 97
    assert response.headers["Retry-After"] == str(retry_after)
    assert body["extensions"]["cost"]["actual"] == 0

    # A legacy client gets the same refusal as a 200, and what still fits runs.
    response, body = await post(http, COSTS_4901, accept="application/json")
    assert (response.status, body["data"]) == (200, None)
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    response, body = await post(http, "{ mentors(first: 10) { totalCount } }")
    assert (response.status, body["data"]) == (200, {"mentors": {"totalCount": 0}})


async def test_each_signed_in_user_has_a_bucket_of_their_class(
    http: TestClient[Any, Any], users: UserFactory, default_budgets: None
) -> None:
    response, _ = await post(http, COSTS_4901)
    alice = await users.create("Alice")
    staff = await users.create("Max", staff=[StaffPermission.VIEW_ANALYTICS])
    for who, size in ((alice, 10000), (staff, 20000)):
        response, body = await post(http, COSTS_4901, token=who.token)
        assert response.status == 200
        assert body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == size
        assert response.headers["X-RateLimit-Remaining"] == str(size - 4901)
    # The anonymous network's bucket is still nearly empty.
    response, _ = await post(http, COSTS_4901)
    assert response.status == 429


async def test_a_persisted_query_refused_before_it_runs_carries_its_cost_too(
    http: TestClient[Any, Any], default_budgets: None
) -> None:
    unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    response = await http.post(
        "/graphql", json={"extensions": unknown}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    body = await response.json(content_type=None)
    assert response.status == 404
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 4999
    assert response.headers["X-RateLimit-Remaining"] == "4999"


# Close to MAX_QUERY_COST: 50 mentors, each with a page of 45 posts.
COSTLY_PAGE = (
    "query { mentors(first: 50) { edges { node { posts(first: 45) { edges { node { id } } } } } } }"
)


async def test_every_key_of_a_partner_app_draws_on_the_apps_one_budget(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, default_budgets: None
) -> None:
    staff = await partner_manager(users)
    created = await create_partner_app(graphql, staff, "Budgeted", ["MARKETPLACE_READ"])
    rotated = await graphql.data(
        document("RotatePartnerKey"),
        {"input": {"appId": created["partnerApp"]["id"], "overlapSeconds": 600}},
        token=staff.token,
    )

    async def available_after(key: str) -> dict[str, Any]:
        response = await http.post(
            "/graphql",
            json={"query": COSTLY_PAGE},
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        )
        body = await response.json()
        assert "errors" not in body, body["errors"]
        cost: dict[str, Any] = body["extensions"]["cost"]
        return cost

    first = await available_after(created["key"])
    second = await available_after(rotated["rotatePartnerKey"]["key"])
    partner = ClientBudgets().partner
    assert first["throttleStatus"]["maximumAvailable"] == partner.capacity
    assert first["requested"] > 4000
    # One bucket: the second key's request found what the first one left, not a full one.
    spent_twice = partner.capacity - 2 * first["requested"]
    assert second["throttleStatus"]["currentlyAvailable"] < spent_twice + first["requested"] // 2

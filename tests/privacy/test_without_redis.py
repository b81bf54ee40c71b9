"""Redis away: the database is the truth, so choices and interactions are still kept; log-ins
are counted in process meanwhile, with a smaller share of each limit, and a guard that cannot
count at all answers SERVICE_UNAVAILABLE, never INTERNAL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from core.runtime import Runtime
from models.interactions import Interaction
from models.privacy import ConsentRecord
from services.throttle import RedisThrottle, ResilientThrottle
from tests.support.documents import document
from tests.support.users import PASSWORD, UserFactory


@pytest.fixture
async def unreachable_redis(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The app's throttle counts on a Redis nobody listens for (port 1 on loopback)."""
    nobody = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr(runtime, "throttle", RedisThrottle(nobody, "away:"))
    yield
    await nobody.aclose()


@pytest.fixture
async def throttle_without_redis(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[None]:
    """The app's own throttle (with its in-process fallback) on a Redis nobody listens for."""
    nobody = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    monkeypatch.setattr(runtime, "throttle", ResilientThrottle(RedisThrottle(nobody, "away:")))
    yield
    await nobody.aclose()


async def _post(
    http: TestClient[Any, Any], query: str, variables: dict[str, Any], cookie: str = ""
) -> tuple[dict[str, Any], SimpleCookie]:
    headers = {"Cookie": cookie} if cookie else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        cookies.load(header)
    return await response.json(), cookies


@pytest.mark.promise("P6")
async def test_a_visitors_choice_and_interactions_are_kept_while_redis_is_away(
    http: TestClient[Any, Any], unreachable_redis: None
) -> None:
    granted = {"input": {"purpose": "ANALYTICS", "granted": True}}
    body, cookies = await _post(http, document("SetConsent"), granted)
    assert body["data"]["setConsent"]["errors"] == []
    visitor = f"mentor_visitor={cookies['mentor_visitor'].value}"
    viewed = {"input": {"kind": "PAGE_VIEW", "path": "/mentors"}}
    body, _ = await _post(http, document("RecordInteraction"), viewed, visitor)
    assert body["data"]["recordInteraction"]["errors"] == []
    assert await ConsentRecord.filter(granted=True).count() == 1
    assert await Interaction.all().count() == 1


async def test_a_guard_that_cannot_count_answers_service_unavailable(
    http: TestClient[Any, Any], users: UserFactory, unreachable_redis: None
) -> None:
    await users.create("Alice", email="alice@example.com")
    credentials = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    body, cookies = await _post(http, document("LogIn"), credentials)
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["retryAfter"]) == (
        "SERVICE_UNAVAILABLE",
        1,
    )
    assert "mentor_session" not in cookies


async def test_log_in_works_and_is_still_throttled_while_redis_is_away(
    http: TestClient[Any, Any], users: UserFactory, throttle_without_redis: None
) -> None:
    await users.create("Alice", email="alice@example.com")
    credentials = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    body, cookies = await _post(http, document("LogIn"), credentials)
    assert body["data"]["logIn"]["errors"] == []
    assert "mentor_session" in cookies

    # A quarter of the account's five failures, in this process: the second is refused.
    wrong = {"input": {"email": "alice@example.com", "password": "wrong password!!"}}
    codes = []
    for _ in range(2):
        body, _ = await _post(http, document("LogIn"), wrong)
        codes.append(
            [e["extensions"]["code"] for e in body.get("errors", [])]
            or [e["code"] for e in body["data"]["logIn"]["errors"]]
        )
    assert codes == [["INVALID_CREDENTIALS"], ["RATE_LIMITED"]]

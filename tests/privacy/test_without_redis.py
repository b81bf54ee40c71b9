"""Redis away: the database is the truth, so choices and interactions are still kept; a guard
of an account (log-in) lets nothing through while it cannot count."""

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
from services.throttle import RedisThrottle
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


async def test_log_in_lets_nobody_through_while_it_cannot_count_attempts(
    http: TestClient[Any, Any], users: UserFactory, unreachable_redis: None
) -> None:
    await users.create("Alice", email="alice@example.com")
    credentials = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    body, cookies = await _post(http, document("LogIn"), credentials)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INTERNAL"]
    assert "mentor_session" not in cookies

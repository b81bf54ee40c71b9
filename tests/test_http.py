"""The HTTP edges beside GraphQL itself: health, readiness, headers, caching and GraphiQL
(GraphQL over HTTP: ``test_graphql_over_http``)."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.runtime import Runtime
from models.audit import AuditAction, AuditEntry
from tests.support.backends import Backend
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import UserFactory

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ME = document("Me")
LOG_IN = document("LogIn")


async def test_healthz_answers_while_the_process_is_up(http: TestClient[Any, Any]) -> None:
    response = await http.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_checks_the_database_and_redis(
    http: TestClient[Any, Any], backend: Backend
) -> None:
    response = await http.get("/readyz")
    assert response.status == 200
    expected = {"database": "ok", "migrations": "ok"}
    if backend.redis_url:
        expected["redis"] = "ok"
    assert await response.json() == {"status": "ok", "checks": expected}


async def test_every_response_has_security_headers_and_a_request_id(
    http: TestClient[Any, Any],
) -> None:
    for path in ("/healthz", "/graphql?query={me{id}}", "/media/missing.png"):
        response = await http.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
        assert len(response.headers["X-Request-Id"]) >= 16
    echoed = await http.get("/healthz", headers={"X-Request-Id": "trace-7"})
    assert echoed.headers["X-Request-Id"] == "trace-7"
    # Only a plain id is taken from the caller: it lands in logs and audit rows.
    for offered in ("x" * 65, "line\tbreak", "<script>"):
        replaced = await http.get("/healthz", headers={"X-Request-Id": offered})
        assert replaced.headers["X-Request-Id"] != offered


async def test_graphql_answers_are_never_cached(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    alice = await users.create("Alice")
    for method in ("GET", "POST"):
        response = await http.request(
            method,
            "/graphql",
            params={"query": ME} if method == "GET" else None,
            json={"query": ME} if method == "POST" else None,
            headers={"Authorization": f"Bearer {alice.token}", "Accept": "application/json"},
        )
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-store"


async def test_a_browser_gets_graphiql(http: TestClient[Any, Any]) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert "graphiql" in (await response.text()).lower()


@pytest.mark.parametrize(
    ("trusted", "forwarded_for", "recorded"),
    [
        ((), "203.0.113.5", "127.0.0.0/24"),  # nobody vouches for the header: the socket counts
        (("127.0.0.0/8",), "203.0.113.5", "203.0.113.0/24"),
        (("127.0.0.0/8", "10.0.0.0/8"), "198.51.100.7, 10.1.2.3", "198.51.100.0/24"),
        (("127.0.0.0/8",), "198.51.100.7, 203.0.113.5", "203.0.113.0/24"),  # no spoofing past us
    ],
)
async def test_the_callers_address_comes_through_our_own_proxies_only(
    graphql: GraphQLClient,
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    trusted: tuple[str, ...],
    forwarded_for: str,
    recorded: str,
) -> None:
    proxies = tuple(ipaddress.ip_network(network) for network in trusted)
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(trusted_proxies=proxies)
    )
    await graphql(
        LOG_IN,
        {"input": {"email": "nobody@example.com", "password": "wrong password!!"}},
        headers={"X-Forwarded-For": forwarded_for},
    )
    (failed,) = await AuditEntry.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.ip_prefix == recorded

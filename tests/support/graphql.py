"""Sending operations to the running app the way a client does."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient


class GraphQLClient:
    def __init__(self, http: TestClient[Any, Any]) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST the operation; return the whole JSON body (``data`` and ``errors``).

        As a legacy ``application/json`` client: every GraphQL result is a 200 with ``data``
        (null on a request error); ``tests/test_graphql_over_http.py`` covers the spec's
        ``application/graphql-response+json`` and its status codes."""
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            sent_headers["Authorization"] = f"Bearer {token}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent_headers
        )
        text = await response.text()
        assert response.status == 200, text
        assert_no_stack_trace(text)
        body: dict[str, Any] = json.loads(text)
        return without_cost(body)

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """The ``data`` of an operation that must not fail."""
        body = await self(query, variables, **kw)
        assert "errors" not in body, body["errors"]
        return body["data"]


def without_cost(body: dict[str, Any], *, ran: bool = True) -> dict[str, Any]:
    """The body without ``extensions.cost``, which every GraphQL result carries
    (tests/test_query_cost.py reads it): a test compares what the operation answered.
    ``ran=False`` for a request that may have been refused before any GraphQL ran."""
    extensions = body.get("extensions", {})
    assert "cost" in extensions or not ran, body
    extensions.pop("cost", None)
    if not extensions:
        body.pop("extensions", None)
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


STACK_TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ')


def assert_no_stack_trace(text: str) -> None:
    """No answer may show how the server failed: a stack names code, paths and values."""
    for marker in STACK_TRACE_MARKERS:
        assert marker not in text, text[:2000]

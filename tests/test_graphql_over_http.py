"""GraphQL over HTTP as the spec has it: media types chosen from Accept, the status codes of
``application/graphql-response+json`` (request errors 4xx and without ``data``), legacy
``application/json`` at 200, GET for queries only, ``Allow`` on every 405, and the codes that
say which step refused a request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData
from aiohttp.test_utils import TestClient

from app.sessions import SESSION_COOKIE
from core.runtime import Runtime
from models.accounts import User
from tests.accounts.test_profile import png
from tests.support.documents import document
from tests.support.graphql import without_cost
from tests.support.users import UserFactory

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
ME = document("Me")
LOG_IN = document("LogIn")
LOG_OUT = document("LogOut")
SIGN_UP = document("SignUp")
COERCION = "query Find($id: ID!) { node(id: $id) { id } }"
UPLOAD = document("UploadProfilePhoto")


async def post(
    http: TestClient[Any, Any],
    body: Any,
    accept: str | None = GRAPHQL_RESPONSE,
    headers: dict[str, str] | None = None,
) -> ClientResponse:
    """POST a JSON body with ``accept`` (None: no Accept header at all)."""
    sent = dict(headers or {})
    if accept is not None:
        sent["Accept"] = accept
    return await http.post(
        "/graphql",
        json=body,
        headers=sent,
        skip_auto_headers=["Accept"] if accept is None else (),
    )


async def answer(response: ClientResponse) -> tuple[int, str, dict[str, Any]]:
    """Status, media type and JSON body (without the cost every GraphQL result carries)."""
    body = without_cost(await response.json(content_type=None), ran=False)
    return response.status, response.content_type, body


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, GRAPHQL_RESPONSE),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (JSON, JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (f"{JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.5, {JSON}", JSON),
        (f"{JSON};q=0.9, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0, */*", JSON),
        ("text/html, */*;q=0.8", JSON),
    ],
)
async def test_the_answer_takes_the_media_type_the_client_accepts(
    http: TestClient[Any, Any], accept: str | None, media_type: str
) -> None:
    response = await post(http, {"query": "{ __typename }"}, accept)
    assert await answer(response) == (200, media_type, {"data": {"__typename": "Query"}})
    assert response.charset == "utf-8"


@pytest.mark.parametrize("accept", ["text/html", "application/xml", f"{JSON};q=0, text/plain"])
async def test_an_accept_that_allows_neither_json_type_is_406(
    http: TestClient[Any, Any], accept: str
) -> None:
    response = await post(
        http, {"query": SIGN_UP, "variables": {"input": _sign_up("eve@example.com")}}, accept
    )
    status, _, body = await answer(response)
    assert status == 406
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert await User.filter(email="eve@example.com").count() == 0


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ me { ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ mee { id } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ me " + "{ a " * 12 + "{ id }" + " }" * 12 + " }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ me { " + " ".join(["id"] * 2100) + " } }", None, "GRAPHQL_VALIDATION_FAILED"),
        (COERCION, {"id": None}, "BAD_USER_INPUT"),
        (COERCION, {"id": ["not", "an", "id"]}, "BAD_USER_INPUT"),
    ],
)
async def test_a_request_error_is_400_without_data(
    http: TestClient[Any, Any], query: str, variables: dict[str, Any] | None, code: str
) -> None:
    response = await post(http, {"query": query, "variables": variables})
    status, media_type, body = await answer(response)
    assert (status, media_type) == (400, GRAPHQL_RESPONSE)
    assert "data" not in body
    assert {error["extensions"]["code"] for error in body["errors"]} == {code}


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ me { ", None, "GRAPHQL_PARSE_FAILED"),
        ("{ mee { id } }", None, "GRAPHQL_VALIDATION_FAILED"),
        (COERCION, {"id": None}, "BAD_USER_INPUT"),
    ],
)
async def test_legacy_json_answers_request_errors_with_200_and_null_data(
    http: TestClient[Any, Any], query: str, variables: dict[str, Any] | None, code: str
) -> None:
    response = await post(http, {"query": query, "variables": variables}, JSON)
    status, media_type, body = await answer(response)
    assert (status, media_type, body["data"]) == (200, JSON, None)
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]


async def test_the_exact_answer_to_a_syntax_error(http: TestClient[Any, Any]) -> None:
    response = await post(http, {"query": "{ me { "})
    assert await answer(response) == (
        400,
        GRAPHQL_RESPONSE,
        {
            "errors": [
                {
                    "message": "Syntax Error: Expected Name, found <EOF>.",
                    "locations": [{"line": 1, "column": 8}],
                    "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
                }
            ]
        },
    )


async def test_a_field_error_is_200_with_data(
    http: TestClient[Any, Any], users: UserFactory, runtime: Runtime
) -> None:
    await users.create("Alice", email="alice@example.com")
    wrong = {"input": {"email": "alice@example.com", "password": "wrong password!!"}}
    for _ in range(runtime.settings.login_failures_per_account):
        await post(http, {"query": LOG_IN, "variables": wrong})
    response = await post(http, {"query": LOG_IN, "variables": wrong})
    status, media_type, body = await answer(response)
    assert (status, media_type) == (200, GRAPHQL_RESPONSE)
    assert "data" in body
    [error] = body["errors"]
    assert (error["path"], error["extensions"]["code"]) == (["logIn"], "RATE_LIMITED")


async def test_rate_limited_carries_the_seconds_left_in_the_window(
    http: TestClient[Any, Any], users: UserFactory, runtime: Runtime
) -> None:
    await users.create("Alice", email="alice@example.com")
    wrong = {"input": {"email": "alice@example.com", "password": "wrong password!!"}}
    for _ in range(runtime.settings.login_failures_per_account + 1):
        response = await post(http, {"query": LOG_IN, "variables": wrong})
    [error] = (await response.json(content_type=None))["errors"]
    window = int(runtime.settings.throttle_window.total_seconds())
    retry_after = error["extensions"]["retryAfter"]
    assert isinstance(retry_after, int)
    # The window began with the first failure, moments ago: nearly all of it is left.
    assert window - 60 < retry_after <= window
    assert error["message"] == f"Too many attempts; try again in {retry_after} seconds."


async def test_a_query_can_be_sent_with_get(http: TestClient[Any, Any], users: UserFactory) -> None:
    alice = await users.create("Alice")
    response = await http.get(
        "/graphql",
        params={"query": ME},
        headers={"Authorization": f"Bearer {alice.token}", "Accept": GRAPHQL_RESPONSE},
    )
    status, media_type, body = await answer(response)
    assert (status, media_type, body["data"]["me"]["name"]) == (200, GRAPHQL_RESPONSE, "Alice")


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_a_mutation_sent_with_get_is_405_and_never_runs(
    http: TestClient[Any, Any], accept: str
) -> None:
    response = await http.get(
        "/graphql",
        params={
            "query": SIGN_UP,
            "variables": '{"input": {"email": "mallory@example.com", '
            '"password": "correct horse battery staple", "name": "Mallory"}}',
        },
        headers={"Accept": accept},
    )
    status, _, body = await answer(response)
    assert status == 405
    assert response.headers["Allow"] == "POST"
    assert response.headers["Cache-Control"] == "no-store"
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert await User.filter(email="mallory@example.com").count() == 0


async def test_a_cookie_session_mutation_sent_with_get_is_405_even_so(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    """A link or an image on any page can make a browser GET with its cookie (the CSRF rule)."""
    alice = await users.create("Alice")
    response = await http.get(
        "/graphql",
        params={"query": LOG_OUT},
        headers={"Cookie": f"{SESSION_COOKIE}={alice.token}", "Accept": GRAPHQL_RESPONSE},
    )
    assert (response.status, response.headers["Allow"]) == (405, "POST")
    still = await post(http, {"query": ME}, headers={"Authorization": f"Bearer {alice.token}"})
    assert (await still.json(content_type=None))["data"]["me"]["name"] == "Alice"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_on_graphql_are_405_with_allow(
    http: TestClient[Any, Any], method: str
) -> None:
    response = await http.request(method, "/graphql", json={"query": "{ __typename }"})
    assert (response.status, response.headers["Allow"]) == (405, "GET, POST")


async def test_a_405_from_any_route_carries_allow(http: TestClient[Any, Any]) -> None:
    response = await http.post("/healthz")
    assert (response.status, response.headers["Allow"]) == (405, "GET,HEAD")


async def test_a_cookie_mutation_without_its_csrf_header_is_403_without_data(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    alice = await users.create("Alice")
    response = await post(
        http, {"query": LOG_OUT}, headers={"Cookie": f"{SESSION_COOKIE}={alice.token}"}
    )
    status, _, body = await answer(response)
    assert (status, "data" in body) == (403, False)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


def photo_form() -> FormData:
    form = FormData()
    form.add_field("operations", json.dumps({"query": UPLOAD, "variables": {"photo": None}}))
    form.add_field("map", json.dumps({"0": ["variables.photo"]}))
    form.add_field("0", png(), filename="me.png", content_type="application/octet-stream")
    return form


async def test_a_multipart_upload_answers_in_the_spec_media_type(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    alice = await users.create("Alice")
    sent = await http.post(
        "/graphql",
        data=photo_form(),
        headers={"Authorization": f"Bearer {alice.token}", "Accept": GRAPHQL_RESPONSE},
    )
    status, media_type, body = await answer(sent)
    assert (status, media_type) == (200, GRAPHQL_RESPONSE)
    assert body["data"]["uploadProfilePhoto"]["errors"] == []
    assert body["data"]["uploadProfilePhoto"]["user"]["photoUrl"]


async def test_a_multipart_mutation_without_credentials_is_403_without_data(
    http: TestClient[Any, Any],
) -> None:
    """Any page may post a form here without a preflight (the CSRF rule)."""
    sent = await http.post("/graphql", data=photo_form(), headers={"Accept": GRAPHQL_RESPONSE})
    status, _, body = await answer(sent)
    assert (status, "data" in body) == (403, False)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("body", "headers", "message"),
    [
        (b'{ "not a JSON', {"Content-Type": JSON}, "Unable to parse request body as JSON"),
        (
            b'{"qeury": "{ __typename }"}',
            {"Content-Type": JSON},
            "No GraphQL query found in the request",
        ),
        (
            b'{"query": "{ __typename }"}',
            {"Content-Type": "text/plain"},
            "Unsupported content type",
        ),
        (
            b'{"query": 42}',
            {"Content-Type": JSON},
            "The GraphQL operation's `query` must be a string or null, if provided.",
        ),
    ],
)
async def test_a_request_that_is_not_graphql_is_400_bad_request(
    http: TestClient[Any, Any], body: bytes, headers: dict[str, str], message: str
) -> None:
    for accept, media_type in ((GRAPHQL_RESPONSE, GRAPHQL_RESPONSE), ("*/*", JSON)):
        response = await http.post("/graphql", data=body, headers={**headers, "Accept": accept})
        assert await answer(response) == (
            400,
            media_type,
            {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]},
        )


def _sign_up(email: str) -> dict[str, str]:
    return {"email": email, "password": "correct horse battery staple", "name": "Eve"}

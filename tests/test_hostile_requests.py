"""Requests that are not what they claim: each answers a typed 4xx with a GraphQL-shaped body,
never a bare 500 or a stack trace, and nothing of the server's (a path, a message) in the log."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from core import limits
from core.runtime import Runtime
from tests.support.graphql import GraphQLClient, assert_no_stack_trace
from tests.support.subscriptions import opened
from tests.support.users import UserFactory

JSON = "application/json"
TYPENAME = "{ __typename }"


def nested(depth: int) -> Any:
    """A JSON value ``depth`` levels deep (lists and objects in turn)."""
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


async def refused(response: aiohttp.ClientResponse, status: int = 400) -> str:
    """The one error of a typed refusal; its message."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == JSON
    assert_no_stack_trace(text)
    body = json.loads(text)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST", body
    message: str = error["message"]
    return message


async def post_raw(http: TestClient[Any, Any], body: bytes) -> aiohttp.ClientResponse:
    return await http.post("/graphql", data=body, headers={"Content-Type": JSON, "Accept": JSON})


async def test_json_nested_100_000_deep_in_variables_is_refused_before_it_recurses(
    http: TestClient[Any, Any],
) -> None:
    deep = b'{"query": "{ __typename }", "variables": {"v": ' + b"[" * 100_000
    deep += b"]" * 100_000 + b"}}"
    message = await refused(await post_raw(http, deep))
    assert message == f"The request's JSON is nested deeper than {limits.MAX_JSON_DEPTH} levels."


async def test_json_just_past_the_depth_bound_is_refused_and_at_it_runs(
    http: TestClient[Any, Any],
) -> None:
    # The body and ``variables`` are two levels of their own.
    for depth, status in ((limits.MAX_JSON_DEPTH - 2, 200), (limits.MAX_JSON_DEPTH - 1, 400)):
        body = {"query": TYPENAME, "variables": {"v": nested(depth)}}
        response = await post_raw(http, json.dumps(body).encode())
        assert response.status == status, await response.text()


async def test_a_body_past_the_size_limit_is_a_typed_413(
    http: TestClient[Any, Any], runtime: Runtime
) -> None:
    too_big = runtime.settings.max_upload_bytes + limits.MULTIPART_OVERHEAD_BYTES + 1
    body = b'{"query": "{ __typename }", "pad": "' + b"x" * too_big + b'"}'
    message = await refused(await post_raw(http, body), status=413)
    assert message.startswith("Maximum request body size")


@pytest.mark.parametrize("body", [b'"x"', b"1", b"null", b"true", b"2.5"])
async def test_a_json_body_that_is_not_an_object_is_refused(
    http: TestClient[Any, Any], body: bytes
) -> None:
    assert await refused(await post_raw(http, body)) == "The GraphQL request must be a JSON object."


async def test_a_json_list_is_still_refused_as_a_batch(http: TestClient[Any, Any]) -> None:
    assert await refused(await post_raw(http, b"[]")) == "Batching is not enabled"


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }", "variables": {"v": "\xff\xfe"}}',
        b'{"query": "\xc3"}',  # a UTF-8 sequence cut short
        b"\xff",
        b"",
        b"{",
        b'{"query": "{ __typename }"} trailing',
    ],
)
async def test_a_body_that_is_not_json_or_not_utf8_is_refused(
    http: TestClient[Any, Any], body: bytes
) -> None:
    assert await refused(await post_raw(http, body)) == "Unable to parse request body as JSON"


@pytest.mark.parametrize(
    ("member", "value", "named"),
    [
        ("operationName", 5, "a string"),
        ("operationName", ["Me"], "a string"),
        ("query", 1, "a string"),
        ("query", {}, "a string"),
        ("variables", [], "an object"),
        ("variables", "{}", "an object"),
        ("extensions", 1, "an object"),
    ],
)
async def test_each_member_of_the_wrong_type_is_refused_by_name(
    http: TestClient[Any, Any], member: str, value: Any, named: str
) -> None:
    body = {"query": TYPENAME, member: value}
    message = await refused(await post_raw(http, json.dumps(body).encode()))
    assert message == f"The GraphQL operation's `{member}` must be {named} or null, if provided."


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ("not json", "Unable to parse request body as JSON"),
        ("[" * 100 + "]" * 100, f"nested deeper than {limits.MAX_JSON_DEPTH} levels"),
        ("[]", "`variables` must be an object"),
        ("%ff", "Unable to parse request body as JSON"),
    ],
)
async def test_get_with_bad_variables_is_refused(
    http: TestClient[Any, Any], variables: str, expected: str
) -> None:
    response = await http.get(
        "/graphql", params={"query": TYPENAME, "variables": variables}, headers={"Accept": JSON}
    )
    assert expected in await refused(response)


async def test_get_with_invalid_percent_encoding_is_a_typed_answer(
    http: TestClient[Any, Any],
) -> None:
    """``%ff`` is no UTF-8: what is left of it is a document that does not parse."""
    url = http.make_url("/graphql").with_query(None)
    for query in ("query=%ff", "query=%7B__typename%ff%7D", "query=%zz", "%ff=1&query=%7B"):
        response = await http.session.get(
            f"{url}?{query}", headers={"Accept": "application/graphql-response+json"}
        )
        text = await response.text()
        assert response.status == 400, text
        assert_no_stack_trace(text)
        (error,) = json.loads(text)["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", text


@pytest.mark.parametrize("frame", ["[" * 100_000 + "]" * 100_000, json.dumps(nested(100)), "{"])
async def test_a_websocket_message_too_deep_or_not_json_closes_that_connection_only(
    http: TestClient[Any, Any], users: UserFactory, frame: str
) -> None:
    alice = await users.create("Alice")
    async with opened(http.ws_connect) as socket:
        await socket.socket.send_str(frame)
        closed = await socket.closed()
    assert closed.code == 4400
    async with opened(http.ws_connect) as socket:
        assert await socket.init({"token": alice.token}) == {"type": "connection_ack"}


def multipart(operations: str | None, files_map: str | None) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if operations is not None:
        form.add_field("operations", operations)
    if files_map is not None:
        form.add_field("map", files_map)
    form.add_field("0", b"\x89PNG", filename="a.png", content_type="image/png")
    return form


UPLOAD_OPERATIONS = json.dumps({"query": TYPENAME, "variables": {"photo": None}})


@pytest.mark.parametrize(
    ("operations", "files_map", "expected"),
    [
        ("not json", "{}", "Unable to parse request body as JSON"),
        ('"x"', "{}", "must be a JSON object"),
        (json.dumps(nested(100)), "{}", "nested deeper than"),
        (UPLOAD_OPERATIONS, "not json", "Unable to parse request body as JSON"),
        (UPLOAD_OPERATIONS, '"x"', "The multipart `map` must be"),
        (UPLOAD_OPERATIONS, '{"0": "variables.photo"}', "The multipart `map` must be"),
        (UPLOAD_OPERATIONS, '{"0": [5]}', "The multipart `map` must be"),
        (UPLOAD_OPERATIONS, '{"0": ["variables.photo.deeper.still"]}', "The multipart `map`"),
        (UPLOAD_OPERATIONS, '{"0": ["query.0"]}', "The multipart `map` must be"),
        (UPLOAD_OPERATIONS, '{"1": ["variables.photo"]}', "File(s) missing in form data"),
    ],
)
async def test_a_malformed_multipart_request_is_refused(
    http: TestClient[Any, Any], operations: str, files_map: str, expected: str
) -> None:
    response = await http.post(
        "/graphql",
        data=multipart(operations, files_map),
        headers={"Accept": JSON, "Apollo-Require-Preflight": "true"},
    )
    assert expected in await refused(response)


async def test_an_over_long_media_key_is_not_found_without_touching_the_disk(
    http: TestClient[Any, Any], runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for key in ("a" * 5000, "a" * (limits.MAX_MEDIA_KEY_LENGTH + 1), "%00", "..", ".env"):
        response = await http.get(f"/media/{key}")
        assert response.status == 404, key
        assert_no_stack_trace(await response.text())
    assert str(runtime.settings.data_dir) not in caplog.text
    assert "Traceback" not in caplog.text


async def test_an_unexpected_error_in_any_route_is_a_masked_graphql_shaped_500(
    http: TestClient[Any, Any],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing(key: str) -> bytes | None:
        # Not a literal on the raising line: a logged stack shows its source lines.
        raise OSError(FAILURE_MESSAGE)

    monkeypatch.setattr(runtime.files, "get", failing)
    caplog.set_level(logging.DEBUG)
    response = await http.get("/media/photo.png", headers={"X-Request-Id": "trace-500"})

    text = await response.text()
    assert response.status == 500
    assert response.content_type == JSON
    assert json.loads(text) == {
        "errors": [
            {
                "message": "Internal error",
                "extensions": {"code": "INTERNAL", "requestId": "trace-500"},
            }
        ]
    }
    assert response.headers["X-Request-Id"] == "trace-500"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "OSError" in caplog.text and "trace-500" in caplog.text
    for secret in ("/secret/path", "alice@example.com", "disk on fire"):
        assert secret not in caplog.text
        assert secret not in text


FAILURE_MESSAGE = "/secret/path/alice@example.com: disk on fire"


def global_id(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


NODE = "query ($id: ID!) { node(id: $id) { id } }"


@pytest.mark.parametrize(
    "node_id",
    [
        global_id("Node:1"),
        global_id("Query:1"),
        global_id("Mutation:1"),
        global_id("PageInfo:1"),
        global_id("ErrorCode:1"),
        global_id("NoSuchType:1"),
        global_id("Mentor:not-a-number"),
        global_id("Mentor:"),
        global_id(":1"),
        global_id("Mentor:99999999999999999999999"),
    ],
)
async def test_node_with_an_id_naming_no_node_is_null_like_an_unknown_type(
    graphql: GraphQLClient, node_id: str
) -> None:
    assert await graphql(NODE, {"id": node_id}) == {"data": {"node": None}}


@pytest.mark.parametrize("node_id", ["", "!!!", global_id("User"), "\u00e9", "Tm9kZQ"])
async def test_node_with_an_id_that_is_no_global_id_is_bad_user_input(
    graphql: GraphQLClient, node_id: str
) -> None:
    body = await graphql(NODE, {"id": node_id})
    assert body["data"] == {"node": None}
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}, body
    assert error["message"] == f'Value cannot represent a GlobalID: "{node_id}".'


GARBAGE_SEGMENTS = ("a" * 5000, "%ff%fe", "..", "%00", global_id("Node:1"), "-1")
GARBAGE_QUERY = "token=%ff&version=%ff%00&code=x&state=y&error=z&id=..&redirect_uri=javascript:1"
GARBAGE_BODIES = (b"\xff\xfe", b"[" * 5000, b"token=%ff&email=%00", b"")
OTHER_METHODS = [(method, None) for method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE")]


def garbage_paths(http: TestClient[Any, Any]) -> list[str]:
    """Every route of the app, each variable part filled with something it never expects."""
    paths = []
    for resource in http.app.router.resources():
        canonical = resource.canonical
        if "{" not in canonical:
            paths.append(canonical)
            continue
        for segment in GARBAGE_SEGMENTS:
            paths.append(re.sub(r"\{[^}]+\}", segment, canonical))
    return sorted(set(paths))


async def test_no_route_answers_a_5xx_to_garbage(http: TestClient[Any, Any]) -> None:
    answered: dict[str, int] = {}
    for path in garbage_paths(http):
        url = f"{http.make_url(path)}?{GARBAGE_QUERY}"
        for method, body in [*OTHER_METHODS, *(("POST", b) for b in GARBAGE_BODIES)]:
            headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "*/*"}
            async with http.session.request(method, url, data=body, headers=headers) as response:
                text = await response.text(errors="replace")
                assert_no_stack_trace(text)
                answered[f"{method} {path[:60]} {body!r:.20}"] = response.status
    failed = {request: status for request, status in answered.items() if status >= 500}
    assert failed == {}


async def test_a_lost_database_connection_under_any_route_is_a_typed_503(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def connection_gone(key: str) -> bytes | None:
        raise asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )

    monkeypatch.setattr(runtime.files, "get", connection_gone)
    response = await http.get("/media/photo.png", headers={"X-Request-Id": "trace-503"})

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert await response.json() == {
        "errors": [
            {
                "message": "The database was briefly out of reach; try again in a moment.",
                "extensions": {
                    "code": "SERVICE_UNAVAILABLE",
                    "retryAfter": 1,
                    "requestId": "trace-503",
                },
            }
        ]
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "message"),
    [
        ("GET", "/media/" + "a" * 5000, 404, "NOT_FOUND", "Not Found"),
        ("GET", "/no/such/page", 404, "NOT_FOUND", "Not Found"),
        (
            "GET",
            "/privacy-policy?version=nope",
            404,
            "NOT_FOUND",
            "No such version of the privacy policy.",
        ),
        ("DELETE", "/healthz", 405, "BAD_REQUEST", "Method Not Allowed"),
    ],
)
async def test_a_route_refusal_is_typed_like_every_other_error(
    http: TestClient[Any, Any], method: str, path: str, status: int, code: str, message: str
) -> None:
    response = await http.request(method, path)

    assert response.status == status
    assert response.content_type == JSON
    assert await response.json() == {"errors": [{"message": message, "extensions": {"code": code}}]}
    if status == 405:
        assert "GET" in response.headers["Allow"]

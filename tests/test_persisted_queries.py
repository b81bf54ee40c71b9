"""Persisted queries (Apollo's APQ) over the trusted documents, and TRUSTED_DOCUMENTS_ONLY:
a client may send a trusted document's SHA-256 instead of its text, by POST or GET; an unknown
hash is PERSISTED_QUERY_NOT_FOUND until a client allowed to register (development, staff)
sends it with its query; a hash that is not its query's is refused; and with the setting on,
clients who are not staff run the trusted documents only."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from graphql import NonNullTypeNode, OperationDefinitionNode, print_ast
from redis.asyncio import Redis

from app.keys import PERSISTED_QUERIES
from core.runtime import Runtime
from models.accounts import StaffPermission, User
from services.documents import TrustedDocument, TrustedDocuments
from services.persisted_queries import MemoryQueryStore, QueryStore, RedisQueryStore, query_store
from tests.marketplace.helpers import become_mentor, request_job
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, without_cost
from tests.support.subscriptions import SubscriptionSocket, opened, ready
from tests.support.users import PASSWORD, SignedIn, UserFactory

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
TRUSTED = TrustedDocuments.load()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text_or_hash: str) -> dict[str, Any]:
    """``extensions`` naming a document by hash (a text is hashed first)."""
    sha = text_or_hash if len(text_or_hash) == 64 else sha256(text_or_hash)
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def free_query() -> str:
    """A document no client ships, new in each test: the in-process store outlives a test."""
    return f"query Free{uuid.uuid4().hex} {{ __typename }}"


async def post(
    http: TestClient[Any, Any],
    body: dict[str, Any],
    *,
    who: SignedIn | None = None,
    accept: str = GRAPHQL_RESPONSE,
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept": accept}
    if who is not None:
        headers["Authorization"] = f"Bearer {who.token}"
    response = await http.post("/graphql", json=body, headers=headers)
    return response.status, without_cost(await response.json(content_type=None), ran=False)


async def get(
    http: TestClient[Any, Any], params: dict[str, Any], *, who: SignedIn | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept": GRAPHQL_RESPONSE}
    if who is not None:
        headers["Authorization"] = f"Bearer {who.token}"
    sent = {key: json.dumps(value) if key != "query" else value for key, value in params.items()}
    response = await http.get("/graphql", params=sent, headers=headers)
    return response.status, without_cost(await response.json(content_type=None), ran=False)


def refused(code: str, message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"errors": [{"extensions": {"code": code}}]}
    if message is not None:
        body["errors"][0]["message"] = message
    return body


def without_messages(body: dict[str, Any]) -> dict[str, Any]:
    return {"errors": [{"extensions": e["extensions"]} for e in body.get("errors", [])]}


NOT_FOUND = refused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


def needs_no_setup(doc: TrustedDocument) -> bool:
    """A query with no variable a caller must give: it answers for anyone, as it stands."""
    [operation] = [d for d in doc.ast.definitions if isinstance(d, OperationDefinitionNode)]
    variables = operation.variable_definitions or ()
    required = [v for v in variables if isinstance(v.type, NonNullTypeNode) and not v.default_value]
    return doc.operation == "query" and not required


SETUP_FREE = [doc for doc in TRUSTED if needs_no_setup(doc)]


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice")


@pytest.fixture
async def staff(users: UserFactory) -> SignedIn:
    return await users.create("Sam", staff=[StaffPermission.MODERATE_CONTENT])


@pytest.fixture
def trusted_only(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(trusted_documents_only=True)
    )


def test_many_trusted_documents_need_no_setup() -> None:
    assert len(SETUP_FREE) >= 20


@pytest.mark.parametrize("doc", SETUP_FREE, ids=lambda doc: doc.name)
async def test_the_hash_alone_answers_as_the_full_text_does(
    http: TestClient[Any, Any], alice: SignedIn, doc: TrustedDocument
) -> None:
    by_text = await post(http, {"query": doc.text}, who=alice)
    assert by_text[0] == 200
    assert await post(http, {"extensions": persisted(doc.sha256)}, who=alice) == by_text
    assert await get(http, {"extensions": persisted(doc.sha256)}, who=alice) == by_text


async def test_the_hash_of_the_printed_document_names_it_too(
    http: TestClient[Any, Any], alice: SignedIn
) -> None:
    """Apollo Client's persisted-query link hashes ``print(query)``, not the file's text."""
    me = TRUSTED.by_hash(sha256(document("Me")))
    assert me is not None
    printed = print_ast(me.ast)
    assert printed != me.text
    answer = await post(http, {"extensions": persisted(printed)}, who=alice)
    assert (answer[0], answer[1]["data"]["me"]["name"]) == (200, "Alice")
    assert await post(http, {"query": printed, "extensions": persisted(printed)}, who=alice) == (
        answer
    )


async def test_a_mutation_runs_by_hash_with_its_variables_and_never_by_get(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    await users.create("Alice", email="alice@example.com")
    log_in = document("LogIn")
    variables = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    status, body = await post(http, {"extensions": persisted(log_in), "variables": variables})
    assert (status, body["data"]["logIn"]["errors"]) == (200, [])
    assert body["data"]["logIn"]["user"]["name"] == "Alice"
    status, body = await get(http, {"extensions": persisted(log_in), "variables": variables})
    assert (status, without_messages(body)) == (405, refused("BAD_REQUEST"))


async def test_an_unknown_hash_is_not_found_until_staff_register_it(
    http: TestClient[Any, Any], staff: SignedIn
) -> None:
    query = free_query()
    status, body = await post(http, {"extensions": persisted(query)}, who=staff)
    assert (status, body) == (404, NOT_FOUND)
    registered = await post(http, {"query": query, "extensions": persisted(query)}, who=staff)
    assert registered == (200, {"data": {"__typename": "Query"}})
    assert await post(http, {"extensions": persisted(query)}, who=staff) == registered
    # Kept for every client, by GET too: a cache of text, while trusted documents are not held.
    assert await get(http, {"extensions": persisted(query)}) == registered


async def test_a_client_that_may_not_register_runs_its_query_but_it_is_not_kept(
    http: TestClient[Any, Any], alice: SignedIn
) -> None:
    query = free_query()
    assert await post(http, {"extensions": persisted(query)}, who=alice) == (404, NOT_FOUND)
    sent = {"query": query, "extensions": persisted(query)}
    assert await post(http, sent, who=alice) == (200, {"data": {"__typename": "Query"}})
    assert await post(http, {"extensions": persisted(query)}, who=alice) == (404, NOT_FOUND)


async def test_on_a_development_server_anyone_registers(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(development=True))
    query = free_query()
    assert await post(http, {"extensions": persisted(query)}) == (404, NOT_FOUND)
    await post(http, {"query": query, "extensions": persisted(query)})
    assert await post(http, {"extensions": persisted(query)}) == (
        200,
        {"data": {"__typename": "Query"}},
    )


async def test_a_document_that_does_not_validate_is_not_kept(
    http: TestClient[Any, Any], staff: SignedIn
) -> None:
    broken = f"query Broken{uuid.uuid4().hex} {{ noSuchField }}"
    status, body = await post(http, {"query": broken, "extensions": persisted(broken)}, who=staff)
    assert (status, without_messages(body)) == (400, refused("GRAPHQL_VALIDATION_FAILED"))
    assert await post(http, {"extensions": persisted(broken)}, who=staff) == (404, NOT_FOUND)


async def test_a_hash_that_is_not_the_querys_is_refused_and_nothing_runs(
    http: TestClient[Any, Any], staff: SignedIn
) -> None:
    sign_up = document("SignUp")
    variables = {"input": {"email": "eve@example.com", "password": PASSWORD}}
    sent = {"query": sign_up, "variables": variables, "extensions": persisted(document("Me"))}
    status, body = await post(http, sent, who=staff)
    assert (status, without_messages(body)) == (400, refused("PERSISTED_QUERY_HASH_MISMATCH"))
    assert "data" not in body
    assert await User.filter(email="eve@example.com").count() == 0


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": sha256("{ __typename }")},
        {"sha256Hash": sha256("{ __typename }")},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "a string",
    ],
)
async def test_a_malformed_persisted_query_is_a_bad_request(
    http: TestClient[Any, Any], extension: Any
) -> None:
    status, body = await post(http, {"extensions": {"persistedQuery": extension}})
    assert (status, without_messages(body)) == (400, refused("BAD_REQUEST"))


async def test_legacy_json_clients_get_not_found_as_200_like_apollo_server(
    http: TestClient[Any, Any],
) -> None:
    status, body = await post(http, {"extensions": persisted(free_query())}, accept=JSON)
    assert (status, body) == (200, {"data": None, **NOT_FOUND})


async def test_trusted_documents_only_refuses_a_free_query_from_a_user(
    http: TestClient[Any, Any], alice: SignedIn, trusted_only: None
) -> None:
    for who in (alice, None):
        status, body = await post(http, {"query": "{ __typename }"}, who=who)
        assert (status, without_messages(body)) == (400, refused("PERSISTED_QUERY_NOT_ALLOWED"))
        assert "data" not in body
        status, body = await get(http, {"query": "{ __typename }"}, who=who)
        assert (status, without_messages(body)) == (400, refused("PERSISTED_QUERY_NOT_ALLOWED"))


async def test_trusted_documents_only_runs_a_trusted_document_by_text_or_hash(
    http: TestClient[Any, Any], alice: SignedIn, trusted_only: None
) -> None:
    me = document("Me")
    by_text = await post(http, {"query": me}, who=alice)
    assert by_text[0] == 200
    assert by_text[1]["data"]["me"]["name"] == "Alice"
    assert await post(http, {"extensions": persisted(me)}, who=alice) == by_text
    assert await post(http, {"query": me, "extensions": persisted(me)}, who=alice) == by_text


async def test_trusted_documents_only_lets_staff_query_freely(
    http: TestClient[Any, Any], staff: SignedIn, trusted_only: None
) -> None:
    assert await post(http, {"query": "{ __typename }"}, who=staff) == (
        200,
        {"data": {"__typename": "Query"}},
    )


async def test_trusted_documents_only_holds_users_to_trusted_not_registered_documents(
    http: TestClient[Any, Any], staff: SignedIn, alice: SignedIn, trusted_only: None
) -> None:
    query = free_query()
    sent = {"query": query, "extensions": persisted(query)}
    assert (await post(http, sent, who=staff))[0] == 200
    assert await post(http, {"extensions": persisted(query)}, who=staff) == (
        200,
        {"data": {"__typename": "Query"}},
    )
    assert await post(http, {"extensions": persisted(query)}, who=alice) == (404, NOT_FOUND)
    status, body = await post(http, sent, who=alice)
    assert (status, without_messages(body)) == (400, refused("PERSISTED_QUERY_NOT_ALLOWED"))


async def test_trusted_documents_only_leaves_a_development_server_free(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = runtime.settings.with_overrides(trusted_documents_only=True, development=True)
    monkeypatch.setattr(runtime, "settings", changed)
    assert await post(http, {"query": "{ __typename }"}) == (200, {"data": {"__typename": "Query"}})


async def test_a_registered_document_is_shared_by_the_processes_of_one_redis(
    http: TestClient[Any, Any], runtime: Runtime, staff: SignedIn
) -> None:
    """Another process builds its store the same way; on the embedded default (one process)
    the store is the process's own."""
    query = free_query()
    await post(http, {"query": query, "extensions": persisted(query)}, who=staff)
    another_process = query_store(runtime.redis, runtime.settings.redis_key_prefix)
    expected = None if runtime.redis is None else query
    assert await another_process.get(sha256(query)) == expected


def bounded_store(runtime: Runtime, capacity: int) -> QueryStore:
    if runtime.redis is None:
        return MemoryQueryStore(capacity)
    return RedisQueryStore(runtime.redis, f"{runtime.settings.redis_key_prefix}bounded:", capacity)


async def test_the_store_keeps_a_bounded_number_dropping_the_least_used(
    runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    store = bounded_store(runtime, capacity=2)
    await store.put("a" * 64, "query A { __typename }")
    await store.put("b" * 64, "query B { __typename }")
    assert await store.get("a" * 64) == "query A { __typename }"
    await store.put("c" * 64, "query C { __typename }")
    assert [await store.get(key * 64) for key in "abc"] == [
        "query A { __typename }",
        None,
        "query C { __typename }",
    ]


@pytest.fixture
def redis_away(http: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    nobody = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(http.app[PERSISTED_QUERIES], "store", RedisQueryStore(nobody, "away:"))
    yield


async def test_without_redis_documents_still_run_and_the_outage_is_logged_once(
    http: TestClient[Any, Any],
    staff: SignedIn,
    redis_away: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    query = free_query()
    with caplog.at_level(logging.WARNING, logger="mentor_api.persisted_queries"):
        for _ in range(2):
            assert await post(http, {"extensions": persisted(query)}, who=staff) == (
                404,
                NOT_FOUND,
            )
            sent = {"query": query, "extensions": persisted(query)}
            assert await post(http, sent, who=staff) == (200, {"data": {"__typename": "Query"}})
        me = await post(http, {"extensions": persisted(document("Me"))}, who=staff)
    assert me[1]["data"]["me"]["name"] == "Sam"
    assert [record.getMessage() for record in caplog.records] == [
        "persisted queries unavailable: ConnectionError"
    ]


ON_NOTIFICATION = document("OnNotification")


async def subscribe(socket: SubscriptionSocket, payload: dict[str, Any]) -> None:
    await socket.send({"id": "1", "type": "subscribe", "payload": payload})


async def test_over_websocket_a_subscription_runs_by_hash_alone(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    alice: SignedIn,
    trusted_only: None,
) -> None:
    mentor_id = await become_mentor(graphql, alice, payout_ready=False)
    async with opened(http.ws_connect) as socket:
        assert await socket.init({"token": alice.token}) == {"type": "connection_ack"}
        await subscribe(socket, {"extensions": persisted(ON_NOTIFICATION)})
        await ready(socket)
        await request_job(graphql, await users.create("Carla"), mentor_id)
        assert (await socket.notification())["kind"] == "JOB_REQUESTED"


async def test_over_websocket_trusted_documents_only_refuses_a_free_subscription(
    http: TestClient[Any, Any], alice: SignedIn, staff: SignedIn, trusted_only: None
) -> None:
    free = "subscription Mine { notifications { id } }"
    async with opened(http.ws_connect) as socket:
        assert await socket.init({"token": alice.token}) == {"type": "connection_ack"}
        await subscribe(socket, {"query": free})
        message = await socket.receive()
        assert (message["type"], message["id"]) == ("error", "1")
        assert [e["extensions"]["code"] for e in message["payload"]] == [
            "PERSISTED_QUERY_NOT_ALLOWED"
        ]
        await subscribe(socket, {"extensions": persisted(free_query())})
        assert (await socket.receive())["payload"] == NOT_FOUND["errors"]
    async with opened(http.ws_connect) as socket:
        assert await socket.init({"token": staff.token}) == {"type": "connection_ack"}
        await subscribe(socket, {"query": free})
        await socket.send({"type": "ping"})
        # Staff's subscription started: the next message is the pong, not a refusal.
        assert await socket.receive() == {"type": "pong"}

"""Losing the database connection ends in a typed answer, never a bare 500: a read is run once
more on a fresh connection, a mutation is refused as SERVICE_UNAVAILABLE with nothing written.

The connection breaks at the Tortoise client seam (``execute_query``), with the errors asyncpg
raises when PostgreSQL ends a session (``pg_terminate_backend``) or its socket closes; the same
on SQLite, which has no such loss of its own. tests/chaos/test_database_outage.py terminates
real PostgreSQL sessions under load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
import redis
from aiohttp.test_utils import TestClient
from tortoise import connections

from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.marketplace import Post, PostLike
from resolvers.extensions import DATABASE_UNAVAILABLE_MESSAGE, connection_lost
from tests.marketplace.helpers import become_mentor, row_id
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

ME = document("Me")
LIKE = document("LikePost")
USER_NAME = "query ($id: ID!) { user(id: $id) { name } }"
READ_POST_AND_AUTHOR = """
query ($user: ID!, $post: ID!) {
  user(id: $user) { email }
  post(id: $post) { viewCount viewerHasLiked }
}
"""

# What the driver raises: the server ended the session mid-statement, asyncpg found the
# connection closed, the socket was reset, a statement met the end of an idle session.
DRIVER_ERRORS: list[Callable[[], BaseException]] = [
    lambda: asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    lambda: asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    lambda: asyncpg.InterfaceError("cannot perform operation: connection is closed"),
    lambda: ConnectionResetError("Connection reset by peer"),
    lambda: asyncpg.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress"
    ),
]
SESSION_LOOKUP = '"token_hash"'


@contextmanager
def breaking_connection(
    monkeypatch: pytest.MonkeyPatch,
    statement: str,
    times: int,
    error: Callable[[], BaseException] = DRIVER_ERRORS[0],
) -> Iterator[list[str]]:
    """The first ``times`` statements containing ``statement`` fail as a lost connection
    would, before reaching the database; yields every such statement that was sent."""
    client = type(connections.get("default"))
    owner = next(cls for cls in client.__mro__ if "execute_query" in vars(cls))
    original = owner.execute_query  # type: ignore[attr-defined]
    sent: list[str] = []

    async def execute_query(self: Any, query: str, values: Any = None) -> Any:
        if statement in query:
            sent.append(query)
            if len(sent) <= times:
                raise error()
        return await original(self, query, values)

    with monkeypatch.context() as patch:
        patch.setattr(owner, "execute_query", execute_query)
        yield sent


async def _post(
    http: TestClient[Any, Any], query: str, variables: dict[str, Any], token: str
) -> tuple[int, Mapping[str, str], dict[str, Any]]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.status, response.headers, await response.json()


@pytest.mark.parametrize("error", DRIVER_ERRORS)
def test_the_driver_errors_of_a_lost_connection_are_told_apart(
    error: Callable[[], BaseException],
) -> None:
    wrapped = RuntimeError("wrapped")
    wrapped.__cause__ = error()
    assert connection_lost(error())
    assert connection_lost(wrapped)
    assert not connection_lost(asyncpg.QueryCanceledError("canceling statement due to timeout"))
    assert not connection_lost(asyncpg.InterfaceError("another operation is in progress"))
    assert not connection_lost(redis.ConnectionError("Error 111 connecting to Redis"))


@pytest.mark.parametrize("error", DRIVER_ERRORS)
async def test_a_session_lookup_that_loses_its_connection_once_is_run_again(
    monkeypatch: pytest.MonkeyPatch,
    http: TestClient[Any, Any],
    users: UserFactory,
    error: Callable[[], BaseException],
) -> None:
    ada = await users.create("Ada")
    with breaking_connection(monkeypatch, SESSION_LOOKUP, times=1, error=error) as sent:
        status, _, body = await _post(http, ME, {}, ada.token)

    assert (status, body["data"]["me"]["name"]) == (200, "Ada")
    assert len(sent) == 2


async def test_a_session_lookup_that_keeps_losing_its_connection_answers_503(
    monkeypatch: pytest.MonkeyPatch, http: TestClient[Any, Any], users: UserFactory
) -> None:
    ada = await users.create("Ada")
    with breaking_connection(monkeypatch, SESSION_LOOKUP, times=2):
        status, headers, body = await _post(http, ME, {}, ada.token)

    assert (status, headers["Retry-After"]) == (503, "1")
    assert headers["Content-Type"].startswith("application/json")
    assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 1}


async def test_a_query_that_loses_its_connection_is_run_once_more(
    monkeypatch: pytest.MonkeyPatch, http: TestClient[Any, Any], users: UserFactory
) -> None:
    ada = await users.create("Ada")
    with breaking_connection(monkeypatch, 'FROM "users"', times=1) as sent:
        status, headers, body = await _post(http, USER_NAME, {"id": ada.global_id}, ada.token)

    assert (status, body["data"], len(sent)) == (200, {"user": {"name": "Ada"}}, 2)
    assert "errors" not in body
    assert "Retry-After" not in headers


async def test_a_query_that_loses_its_connection_twice_answers_service_unavailable(
    monkeypatch: pytest.MonkeyPatch, http: TestClient[Any, Any], users: UserFactory
) -> None:
    ada = await users.create("Ada")
    with breaking_connection(monkeypatch, 'FROM "users"', times=2) as sent:
        status, headers, body = await _post(http, USER_NAME, {"id": ada.global_id}, ada.token)

    assert (status, headers["Retry-After"], len(sent)) == (200, "1", 2)
    assert body["data"] == {"user": None}
    [error] = body["errors"]
    assert (error["path"], error["message"]) == (["user"], DATABASE_UNAVAILABLE_MESSAGE)
    assert error["extensions"] == {
        "code": "SERVICE_UNAVAILABLE",
        "retryAfter": 1,
        "requestId": headers["X-Request-Id"],
    }


async def test_a_rerun_query_counts_a_post_view_and_a_staff_read_once(
    monkeypatch: pytest.MonkeyPatch,
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
) -> None:
    """The first attempt read the address and counted the view, then lost its connection
    asking whether the reader likes the post: the client gets the rerun's answer, and the
    view and the audit row of the read are one each."""
    author = await users.create("Ada Author", email="ada@example.com")
    await become_mentor(graphql, author)
    post_id = await _published_post(graphql, author)
    reader = await users.create("Pia Pii", staff=[StaffPermission.VIEW_PII])
    with breaking_connection(monkeypatch, 'FROM "post_likes"', times=1) as sent:
        status, _, body = await _post(
            http, READ_POST_AND_AUTHOR, {"user": author.global_id, "post": post_id}, reader.token
        )

    assert (status, len(sent)) == (200, 2)
    assert body["data"] == {
        "user": {"email": "ada@example.com"},
        "post": {"viewCount": 1, "viewerHasLiked": False},
    }
    assert (await Post.get(id=row_id(post_id))).view_count == 1
    reads = await AuditEntry.filter(action=AuditAction.PII_READ).values_list(
        "actor_id", "subject_id"
    )
    assert reads == [(reader.user.id, author.user.id)]


async def test_a_mutation_that_loses_its_connection_is_not_run_again_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
) -> None:
    """The like row is written, then the count's UPDATE loses the connection: the mutation's
    transaction takes the like back, and the client is told to try again."""
    author = await users.create("Ada Author")
    await become_mentor(graphql, author)
    post_id = await _published_post(graphql, author)
    fan = await users.create("Fan")
    with breaking_connection(monkeypatch, 'UPDATE "posts"', times=1) as sent:
        status, headers, body = await _post(http, LIKE, {"input": {"postId": post_id}}, fan.token)

    assert (status, headers["Retry-After"], len(sent)) == (200, "1", 1)
    assert body["data"] == {"likePost": None} or body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["SERVICE_UNAVAILABLE"]
    assert await PostLike.filter(post_id=row_id(post_id)).count() == 0
    assert (await Post.get(id=row_id(post_id))).like_count == 0


async def _published_post(graphql: GraphQLClient, author: SignedIn) -> str:
    created = await graphql.data(
        document("CreatePost"), {"input": {"title": "Notes", "body": "Text"}}, token=author.token
    )
    post_id: str = created["createPost"]["post"]["id"]
    await graphql.data(document("PublishPost"), {"input": {"postId": post_id}}, token=author.token)
    return post_id

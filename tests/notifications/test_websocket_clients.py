"""A real GraphQL client, Python's ``gql`` over the ``websockets`` library, on the test server's
port: acknowledged on both subprotocols (graphql-transport-ws and the legacy graphql-ws),
authenticated by the connection_init token or the session cookie, and sent a notification.
``gql`` refuses binary frames, so each round trip also proves the frames are text."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from gql import Client, gql
from gql.transport.exceptions import TransportError, TransportServerError
from gql.transport.websockets import WebsocketsTransport
from websockets.exceptions import ConnectionClosed

from app.keys import RUNTIME
from app.sessions import SESSION_COOKIE
from tests.marketplace.helpers import become_mentor, request_job
from tests.support.graphql import GraphQLClient
from tests.support.subscriptions import NOTIFICATIONS
from tests.support.users import SignedIn, UserFactory

PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]


def transport(http: TestClient[Any, Any], subprotocol: str, **options: Any) -> WebsocketsTransport:
    url = str(http.make_url("/graphql")).replace("http://", "ws://", 1)
    return WebsocketsTransport(url=url, subprotocols=[subprotocol], ack_timeout=10, **options)


async def until_following(http: TestClient[Any, Any], who: SignedIn) -> None:
    """The server follows the subscription before the test makes a notification: a
    subscription sends what commits after it starts."""
    bus = http.app[RUNTIME].notifications
    for _ in range(500):
        if bus.following(who.user.id):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never started following")


async def round_trip(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    subprotocol: str,
    *,
    by_cookie: bool,
) -> dict[str, Any]:
    """A mentor subscribed with gql; a client requests a job; what the mentor's stream says."""
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor)
    credentials: dict[str, Any] = (
        {"headers": {"Cookie": f"{SESSION_COOKIE}={mentor.token}"}}
        if by_cookie
        else {"init_payload": {"token": mentor.token}}
    )
    connection = transport(http, subprotocol, **credentials)
    # Entering the session returns only once the server acknowledged the connection.
    async with Client(transport=connection) as session:
        assert connection.subprotocol == subprotocol
        stream = session.subscribe(gql(NOTIFICATIONS))
        first = asyncio.ensure_future(anext(stream))
        try:
            await until_following(http, mentor)
            job_id = await request_job(graphql, client, mentor_id, "Review my API")
            told: dict[str, Any] = (await asyncio.wait_for(first, 10))["notifications"]
        finally:
            first.cancel()
            await stream.aclose()
    assert told["job"] == {"id": job_id, "status": "REQUESTED"}
    return told


@pytest.mark.parametrize("subprotocol", PROTOCOLS)
async def test_gql_is_acknowledged_and_receives_a_notification(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, subprotocol: str
) -> None:
    told = await round_trip(http, graphql, users, subprotocol, by_cookie=False)
    assert (told["kind"], told["title"]) == ("JOB_REQUESTED", "New job request")


@pytest.mark.parametrize("subprotocol", PROTOCOLS)
async def test_gql_is_authenticated_by_the_session_cookie(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, subprotocol: str
) -> None:
    told = await round_trip(http, graphql, users, subprotocol, by_cookie=True)
    assert told["kind"] == "JOB_REQUESTED"


@pytest.mark.parametrize("subprotocol", PROTOCOLS)
@pytest.mark.parametrize("payload", [{}, {"token": "not-a-session"}])
async def test_gql_speaking_for_nobody_is_refused(
    http: TestClient[Any, Any], subprotocol: str, payload: dict[str, Any]
) -> None:
    with pytest.raises(TransportError) as refused:
        async with Client(transport=transport(http, subprotocol, init_payload=payload)):
            pass
    if subprotocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL:
        closed = refused.value.__cause__
        assert isinstance(closed, ConnectionClosed) and closed.rcvd is not None
        assert closed.rcvd.code == 4403
    else:
        # The legacy protocol's refusal is a connection_error message.
        assert isinstance(refused.value, TransportServerError)

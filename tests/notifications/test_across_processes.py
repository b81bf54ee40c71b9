"""Two server processes sharing one database and one Redis: a notification caused through
one reaches a subscription held by the other, once (P10).

Several processes are by definition PostgreSQL + Redis, so this test runs two real
``mentor-api serve`` processes on the machine's servers in both runs of the suite, with a
database and a key prefix of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.backends import postgres_backend
from tests.support.documents import document
from tests.support.processes import environment, serving
from tests.support.subscriptions import subscribed
from tests.support.users import PASSWORD

pytestmark = pytest.mark.promise("P10")


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    """Two server processes on a database and a Redis prefix of their own."""
    data_dir = tmp_path_factory.mktemp("two-processes")
    async with postgres_backend(data_dir) as backend:
        # No periodic check within the test: what arrives came over Redis.
        env = environment(backend, SUBSCRIPTION_CHECK_SECONDS="3600")
        async with serving(env, data_dir) as (first, second):
            yield first, second


async def _graphql(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(
        f"{url}/graphql",
        json={"query": document(name), "variables": variables or {}},
        headers=headers,
    ) as response:
        body: dict[str, Any] = await response.json()
    assert "errors" not in body, body
    return body["data"]


async def _member(session: aiohttp.ClientSession, url: str, email: str) -> str:
    """Sign up and log in as an ordinary client would; the session token."""
    signed_up = await _graphql(
        session, url, "SignUp", {"input": {"email": email, "password": PASSWORD}}
    )
    assert signed_up["signUp"]["errors"] == []
    logged_in = await _graphql(
        session, url, "LogIn", {"input": {"email": email, "password": PASSWORD, "session": "TOKEN"}}
    )
    token: str = logged_in["logIn"]["token"]
    return token


async def test_a_notification_caused_on_one_process_reaches_a_subscription_on_another_once(
    servers: tuple[str, str],
) -> None:
    holding, causing = servers
    async with aiohttp.ClientSession() as session:
        client = await _member(session, causing, "carla@example.com")
        mentor = await _member(session, causing, "mona@example.com")
        profile = {"headline": "Python mentor", "expertise": ["python"], "languages": ["en"]}
        became = await _graphql(session, causing, "BecomeMentor", {"input": profile}, mentor)
        mentor_id = became["becomeMentor"]["mentor"]["id"]

        async with subscribed(session.ws_connect, f"{holding}/graphql", token=mentor) as socket:
            jobs = []
            for description in ("First request", "Second request"):
                asked = await _graphql(
                    session,
                    causing,
                    "RequestJob",
                    {"input": {"mentorId": mentor_id, "description": description}},
                    client,
                )
                jobs.append(asked["requestJob"]["job"]["id"])
                told = await socket.notification()
                assert (told["kind"], told["job"]["id"]) == ("JOB_REQUESTED", jobs[-1])
            # Each came once: the second message was the second request, then nothing.
            assert await socket.silent_for(1)

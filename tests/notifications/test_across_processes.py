"""Two server processes sharing one database and one Redis: a notification caused through
one reaches a subscription held by the other, once (P10).

Several processes are by definition PostgreSQL + Redis, so this test runs two real
``mentor-api serve`` processes on the machine's servers in both runs of the suite, with a
database and a key prefix of its own.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.cli import SCHEMA_PATH
from tests.support.backends import Backend, postgres_backend
from tests.support.documents import document
from tests.support.subscriptions import subscribed
from tests.support.users import PASSWORD

pytestmark = pytest.mark.promise("P10")

CLI = "import sys; from app.cli import main; main(sys.argv[1:])"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(backend: Backend) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": backend.database_url,
        "REDIS_URL": backend.redis_url or "",
        "REDIS_KEY_PREFIX": backend.redis_prefix,
        "SECRET_KEY": uuid.uuid4().hex,
        "MENTOR_ENV": "production",
        "MENTOR_DATA_DIR": str(backend.data_dir),
        "COOKIE_SECURE": "0",
        "PYTHONPATH": str(SCHEMA_PATH.parent),
        # No periodic check within the test: what arrives came over Redis.
        "SUBSCRIPTION_CHECK_SECONDS": "3600",
    }


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _until_up(url: str, log: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(300):
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never came up:\n{await asyncio.to_thread(log.read_text)}")


@pytest.fixture(scope="module")
async def servers(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, str]]:
    """Two server processes on a database and a Redis prefix of their own."""
    data_dir = tmp_path_factory.mktemp("two-processes")
    async with postgres_backend(data_dir) as backend:
        env = _environment(backend)
        migrated = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", CLI, "migrate"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        logs = data_dir / "first.log", data_dir / "second.log"
        with _serving(env, logs[0]) as first, _serving(env, logs[1]) as second:
            await asyncio.gather(_until_up(first, logs[0]), _until_up(second, logs[1]))
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
        session, url, "LogIn", {"input": {"email": email, "password": PASSWORD}}
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

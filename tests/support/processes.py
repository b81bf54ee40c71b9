"""`mentor-api` commands run as real processes, as an operator (or systemd) runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from app.cli import SCHEMA_PATH
from tests.support.backends import Backend
from tests.support.documents import document
from tests.support.users import PASSWORD

# Longer than any drain (requests, then jobs): a process still running after it is stuck.
EXIT_WAIT_SECONDS = 90
CLI = "import sys; from app.cli import main; main(sys.argv[1:])"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(backend: Backend, **extra: str) -> dict[str, str]:
    """The environment of a production deployment on ``backend`` (its own database and key
    prefix), without the tests' own Redis setting leaking in on the embedded backend."""
    env = {
        **os.environ,
        "DATABASE_URL": backend.database_url,
        "REDIS_KEY_PREFIX": backend.redis_prefix,
        "SECRET_KEY": uuid.uuid4().hex,
        "MENTOR_ENV": "production",
        "MENTOR_DATA_DIR": str(backend.data_dir),
        "COOKIE_SECURE": "0",
        "PYTHONPATH": str(SCHEMA_PATH.parent),
        **extra,
    }
    env.pop("REDIS_URL", None)
    if backend.redis_url:
        env["REDIS_URL"] = backend.redis_url
    return env


class Command:
    """One ``mentor-api`` process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CLI, *args],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def stop(self, number: int = signal.SIGTERM) -> int:
        """Send ``number`` and wait for the exit status."""
        self.process.send_signal(number)
        return await self.exit_status()

    async def exit_status(self) -> int:
        try:
            return await asyncio.to_thread(self.process.wait, EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the process did not end:\n{self.output()}") from None

    def output(self) -> str:
        return self.log.read_text()

    async def end(self) -> None:
        """Stop it as a test's cleanup does: SIGTERM, then, if it lingers, SIGKILL."""
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.process.wait, EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


async def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def until_up(url: str, command: Command) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if command.process.poll() is not None:
                break
            try:
                async with session.get(f"{url}/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never came up:\n{command.output()}")


@asynccontextmanager
async def serving(env: dict[str, str], directory: Path, count: int = 2) -> AsyncIterator[list[str]]:
    """``count`` ``mentor-api serve`` processes on ``env``'s database, migrated first, each on
    a port of its own: their URLs once every one answers ``/readyz``; stopped afterwards."""
    migrated = await run(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    ports = [free_port() for _ in range(count)]
    servers = [
        Command(env, directory / f"serve-{port}.log", "serve", "--port", str(port))
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        await asyncio.gather(*(until_up(url, s) for url, s in zip(urls, servers, strict=True)))
        yield urls
    finally:
        await asyncio.gather(*(server.end() for server in servers))


async def until_logged(command: Command, line: str) -> None:
    for _ in range(600):
        if line in command.output():
            return
        if command.process.poll() is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"never logged {line!r}:\n{command.output()}")


async def graphql(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> dict[str, Any]:
    """Send the document ``graphql/<name>.graphql``; its data, which must come without errors."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(
        f"{url}/graphql",
        json={"query": document(name), "variables": variables or {}},
        headers=headers,
    ) as response:
        body: dict[str, Any] = await response.json(content_type=None)
    assert "errors" not in body, body
    return body["data"]


async def member(session: aiohttp.ClientSession, url: str, email: str) -> str:
    """Sign up and log in as an ordinary client would; the session token."""
    credentials = {"input": {"email": email, "password": PASSWORD}}
    signed_up = await graphql(session, url, "SignUp", credentials)
    assert signed_up["signUp"]["errors"] == []
    logged_in = await graphql(
        session, url, "LogIn", {"input": {**credentials["input"], "session": "TOKEN"}}
    )
    token: str = logged_in["logIn"]["token"]
    return token

"""What the chaos suite shares: a Redis server of the test's own to kill and restart, and a
bounded load of concurrent clients whose every answer is recorded, to be judged afterwards
(no bare 500s, typed errors only, recovery)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.support.documents import document
from tests.support.processes import free_port

REDIS_SERVER = "/usr/bin/redis-server"
# Each request of the load waits at most this long: a stalled answer is a failure too.
REQUEST_WAIT_SECONDS = 15
# Codes an answer may carry while a dependency is out: it may be retried.
OUTAGE_CODES = frozenset({"SERVICE_UNAVAILABLE", "RATE_LIMITED"})


class RedisServer:
    """``redis-server`` on a spare loopback port, persisting nothing; killed and started
    again on the same port, as a crash and a restart by its supervisor."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._log = directory / f"redis-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    def _spawn(self) -> None:
        arguments = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        with self._log.open("a") as output:
            self._process = subprocess.Popen(
                [REDIS_SERVER, *arguments, "--appendonly", "no"],
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        """Start it and wait until it answers."""
        self._spawn()
        client = Redis.from_url(self.url, socket_connect_timeout=0.5)
        try:
            for _ in range(100):
                with contextlib.suppress(RedisError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        raise AssertionError(f"redis-server never answered:\n{self._log.read_text()}")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None


@contextlib.asynccontextmanager
async def redis_server(directory: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(directory)
    await server.start()
    try:
        yield server
    finally:
        server.kill()


@dataclass(frozen=True)
class Answer:
    """One request of the load as the client saw it."""

    operation: str
    at: float  # time.monotonic() when the answer arrived
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    shaped: bool  # a JSON body with `data` or `errors`
    codes: tuple[str, ...]  # every error code in it, top-level and in payloads

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.shaped and not self.codes


def _codes(body: dict[str, Any]) -> list[str]:
    codes = [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]
    for payload in (body.get("data") or {}).values():
        if isinstance(payload, dict):
            codes += [str(e.get("code")) for e in payload.get("errors") or []]
    return codes


async def send(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any],
    *,
    token: str | None = None,
    address: str | None = None,
) -> tuple[Answer, dict[str, Any]]:
    """POST ``graphql/<name>.graphql``; ``address`` is the caller's (via ``X-Forwarded-For``,
    for a process that trusts loopback as its proxy)."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if address:
        headers["X-Forwarded-For"] = address
    body: dict[str, Any] = {}
    status = 0
    try:
        async with session.post(
            f"{url}/graphql",
            json={"query": document(name), "variables": variables},
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=REQUEST_WAIT_SECONDS),
        ) as response:
            status = response.status
            with contextlib.suppress(ValueError, aiohttp.ContentTypeError):
                body = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError):
        pass
    shaped = isinstance(body, dict) and ("data" in body or "errors" in body)
    codes = tuple(_codes(body)) if shaped else ()
    return Answer(name, time.monotonic(), status, shaped, codes), body


Operation = Callable[[aiohttp.ClientSession, str, int], Awaitable[Answer]]


@dataclass
class Load:
    """``clients`` concurrent clients, each sending the next of ``operations`` in turn to the
    next of ``urls``, until stopped; every answer is kept."""

    urls: Sequence[str]
    operations: Sequence[Operation]
    clients: int = 4
    answers: list[Answer] = field(default_factory=list)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Load]:
        numbers = itertools.count()
        async with aiohttp.ClientSession() as session:

            async def client(offset: int) -> None:
                while not self._stopping.is_set():
                    n = next(numbers)
                    operation = self.operations[(n + offset) % len(self.operations)]
                    url = self.urls[n % len(self.urls)]
                    self.answers.append(await operation(session, url, n))

            clients = [asyncio.create_task(client(i)) for i in range(self.clients)]
            try:
                yield self
            finally:
                self._stopping.set()
                await asyncio.gather(*clients)

    def between(self, start: float, end: float) -> list[Answer]:
        return [answer for answer in self.answers if start <= answer.at < end]

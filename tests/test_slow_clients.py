"""Slow and lying clients, on real sockets against ``mentor-api serve``: a connection that
dribbles its headers is closed, a body shorter than its Content-Length or dragging on is
abandoned with 408 and the connection closed, and honest clients are served as before. The
server runs with one-second limits; each wait below is a generous bound, not a speed test."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import BACKEND
from tests.support.backends import postgres_backend, sqlite_backend
from tests.support.processes import environment, serving

LIMIT_SECONDS = 1
TOTAL_SECONDS = 3
# Well past each limit: a connection still open then is held, not slow.
CLOSED_WITHIN_SECONDS = 4 * TOTAL_SECONDS
QUERY = json.dumps({"query": "{ __typename }"}).encode()


@pytest.fixture(scope="module")
async def address(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, int]]:
    tmp_path: Path = tmp_path_factory.mktemp("slow-clients")
    opened = postgres_backend if BACKEND == "postgres" else sqlite_backend
    async with opened(tmp_path) as backend:
        env = environment(
            backend,
            REQUEST_HEADER_TIMEOUT_SECONDS=str(LIMIT_SECONDS),
            REQUEST_BODY_IDLE_TIMEOUT_SECONDS=str(LIMIT_SECONDS),
            REQUEST_BODY_TIMEOUT_SECONDS=str(TOTAL_SECONDS),
        )
        async with serving(env, tmp_path, count=1) as (url,):
            parts = urlsplit(url)
            assert parts.hostname is not None and parts.port is not None
            yield parts.hostname, parts.port


def _head(length: int) -> bytes:
    return (
        "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def _until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    received = b""
    async with asyncio.timeout(CLOSED_WITHIN_SECONDS):
        while chunk := await reader.read(65536):
            received += chunk
    return received


def _answer(received: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


async def test_a_connection_that_dribbles_its_headers_is_closed(address: tuple[str, int]) -> None:
    reader, writer = await asyncio.open_connection(*address)
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    try:
        assert await _until_closed(reader) == b""
    finally:
        writer.close()


async def test_a_body_shorter_than_its_length_is_abandoned_with_408(
    address: tuple[str, int],
) -> None:
    """The issue's reproducer: 4 MiB declared, 100 bytes sent."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(_head(4 * 1024 * 1024) + b"{" + b" " * 99)
    await writer.drain()
    try:
        status, body = _answer(await _until_closed(reader))
    finally:
        writer.close()
    assert status == 408
    assert body == {
        "errors": [
            {
                "message": "The request body did not arrive in time.",
                "extensions": {"code": "TIMEOUT"},
            }
        ]
    }


async def test_a_body_trickled_past_the_total_bound_is_abandoned(
    address: tuple[str, int],
) -> None:
    """A byte well inside each idle bound still cannot stretch the body beyond the total:
    sent whole, this body would take twice the total bound and then be answered 200."""
    reader, writer = await asyncio.open_connection(*address)
    writer.write(_head(len(QUERY)))
    pause = 2 * TOTAL_SECONDS / len(QUERY)
    assert pause < LIMIT_SECONDS

    async def trickle() -> None:
        with contextlib.suppress(ConnectionError):
            for byte in QUERY:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(pause)

    trickling = asyncio.create_task(trickle())
    try:
        status, _ = _answer(await _until_closed(reader))
    finally:
        trickling.cancel()
        writer.close()
    assert status == 408


async def test_an_honest_client_keeps_its_connection_for_the_next_request(
    address: tuple[str, int],
) -> None:
    reader, writer = await asyncio.open_connection(*address)
    try:
        for _ in range(2):
            writer.write(_head(len(QUERY)) + QUERY)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            body = json.loads(await reader.readexactly(length))
            assert head.startswith(b"HTTP/1.1 200 ")
            assert body["data"] == {"__typename": "Query"}
    finally:
        writer.close()

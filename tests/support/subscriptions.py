"""A graphql-transport-ws client: aiohttp's WebSocket client speaking the protocol's JSON
messages, as graphql-ws (JS) and gql do, and as strict about frames: each must be text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientWebSocketResponse, WSMsgType

from tests.support.documents import document

PROTOCOL = "graphql-transport-ws"
NOTIFICATIONS = document("OnNotification")
Connect = Callable[..., Awaitable[ClientWebSocketResponse]]


class Closed(Exception):
    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"closed {code}: {reason}")
        self.code = code
        self.reason = reason


class SubscriptionSocket:
    def __init__(self, socket: ClientWebSocketResponse) -> None:
        self.socket = socket
        self.frame_types: list[WSMsgType] = []

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send_str(json.dumps(message))

    async def receive(self, within: float = 10) -> dict[str, Any]:
        """The next protocol message; pings are answered, as the protocol asks."""
        while True:
            frame = await self.socket.receive(timeout=within)
            if frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                raise Closed(self.socket.close_code, str(frame.extra or ""))
            self.frame_types.append(frame.type)
            assert frame.type is WSMsgType.TEXT, f"a {frame.type.name} frame: clients refuse it"
            message: dict[str, Any] = json.loads(frame.data)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, query: str = NOTIFICATIONS, *, operation_id: str = "1", **variables: Any
    ) -> None:
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )

    async def next_payload(self, within: float = 10) -> dict[str, Any]:
        """The payload of the next ``next`` message."""
        message = await self.receive(within)
        assert message["type"] == "next", message
        payload: dict[str, Any] = message["payload"]
        return payload

    async def notification(self, within: float = 10) -> dict[str, Any]:
        payload = await self.next_payload(within)
        assert "errors" not in payload, payload
        notification: dict[str, Any] = payload["data"]["notifications"]
        return notification

    async def silent_for(self, seconds: float) -> bool:
        """Nothing arrives for ``seconds`` (and the connection stays open)."""
        try:
            message = await self.receive(within=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message: {message}")

    async def closed(self, within: float = 10) -> Closed:
        try:
            message = await self.receive(within)
        except Closed as closed:
            return closed
        raise AssertionError(f"expected the connection to close, got {message}")


@asynccontextmanager
async def subscribed(
    connect: Connect,
    url: str = "/graphql",
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    query: str = NOTIFICATIONS,
    following: Callable[[], bool] | None = None,
) -> AsyncIterator[SubscriptionSocket]:
    """An acknowledged connection (by ``token`` in connection_init, or by ``headers``), with
    one subscription started (see ``ready``)."""
    async with opened(connect, url, headers=headers) as socket:
        ack = await socket.init({"token": token} if token else None)
        assert ack == {"type": "connection_ack"}, ack
        await socket.subscribe(query)
        await ready(socket, following)
        yield socket


@asynccontextmanager
async def opened(
    connect: Connect, url: str = "/graphql", *, headers: dict[str, str] | None = None
) -> AsyncIterator[SubscriptionSocket]:
    socket = await connect(url, protocols=[PROTOCOL], headers=headers or {})
    try:
        assert socket.protocol == PROTOCOL
        yield SubscriptionSocket(socket)
    finally:
        await socket.close()


async def ready(socket: SubscriptionSocket, following: Callable[[], bool] | None = None) -> None:
    """Let the server start following before the test causes anything: a subscription sends
    what commits after it starts. The pong to a ping comes once the subscribe message was
    handled; then ``following`` (when the test can see the server's bus) says when its task
    has read where it starts from, else a moment is left for it (a server of its own)."""
    await socket.send({"type": "ping"})
    message = await socket.receive()
    assert message == {"type": "pong"}, message
    if following is None:
        await asyncio.sleep(1)
        return
    for _ in range(500):
        if following():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the subscription never started following")

"""GraphQL over WebSocket on /graphql (graphql-transport-ws, and the legacy graphql-ws of
subscriptions-transport-ws): text frames, who the connection speaks for, and closing the
connections when the server stops.

Only subscriptions run over a WebSocket; queries and mutations go over HTTP, where each
request has its own context, its own loaders and the CSRF rule.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, cast

from aiohttp import ClientConnectionResetError, WSCloseCode, web
from graphql import GraphQLError
from strawberry.aiohttp.views import AiohttpWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import StartMessage

from app.keys import PERSISTED_QUERIES
from core.errors import DomainError, ErrorCode
from resolvers.context import RequestContext
from services import accounts
from services.access.viewer import Viewer
from services.persisted_queries import MalformedPersistedQuery, is_unrestricted

OPEN_SOCKETS = web.AppKey("open_sockets", weakref.WeakSet[web.WebSocketResponse])
# graphql-transport-ws closes a connection that may not go on with 4403 (Forbidden).
FORBIDDEN = 4403


class TextFrames(AiohttpWebSocketAdapter):
    """Every message as a text frame. The view's encoder answers bytes (orjson, for HTTP),
    which aiohttp would send as binary frames, and graphql-ws and gql refuse those."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_str(text)
        except (RuntimeError, ClientConnectionResetError) as error:
            raise WebSocketDisconnected from error


class WebSocketConnection:
    """The connection an operation came on (``resolvers.context.Connection``)."""

    def __init__(self, socket: web.WebSocketResponse) -> None:
        self._socket = socket

    async def close(self, code: int, reason: str) -> None:
        await self._socket.close(code=code, message=reason.encode())


def opened(request: web.Request, socket: web.WebSocketResponse) -> WebSocketConnection:
    """Keep the socket, to close it when the server stops."""
    request.app[OPEN_SOCKETS].add(socket)
    return WebSocketConnection(socket)


async def authenticate_connection(context: RequestContext) -> None:
    """On ``connection_init`` (either protocol): a ``token`` in its payload (a session token,
    as for ``Authorization: Bearer``), else the session cookie of the upgrade request. A
    connection that speaks for nobody is refused (4403; ``connection_error`` in the legacy
    protocol): the subscriptions are a signed-in user's own."""
    token = (context.connection_params or {}).get("token")
    if token is not None:
        session = await accounts.session_for_token(token) if isinstance(token, str) else None
        viewer = Viewer() if session is None else Viewer(user=session.user, session=session)
        context.replace_viewer(viewer)
    # Subscriptions are no partner scope's: a partner credential opens no connection.
    if not context.viewer.is_authenticated or context.viewer.partner is not None:
        raise ConnectionRejectionError()


async def refused_document(
    context: RequestContext, socket: object, payload: dict[str, Any]
) -> GraphQLError | None:
    """Persisted queries and TRUSTED_DOCUMENTS_ONLY on a WebSocket, as over HTTP: a document
    named by its hash is put in the message, and one this client may not run is refused.
    Nothing is registered here; documents are registered over HTTP."""
    assert isinstance(socket, AiohttpWebSocketAdapter)
    settings = context.runtime.settings
    try:
        resolved = await socket.request.app[PERSISTED_QUERIES].resolve(
            payload.get("query"),
            payload.get("extensions"),
            unrestricted=is_unrestricted(context.viewer, settings),
            trusted_only=settings.trusted_documents_only,
        )
    except MalformedPersistedQuery as error:
        return GraphQLError(str(error), extensions={"code": ErrorCode.BAD_REQUEST.value})
    except DomainError as refused:
        return GraphQLError(refused.message, extensions=refused.extensions)
    if resolved.query is not None:
        payload["query"] = resolved.query
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:
            payload = cast(dict[str, Any], message["payload"])
            error = await refused_document(self.context, self.websocket, payload)
            if error is not None:
                refusal = {"id": message["id"], "type": "error", "payload": [error.formatted]}
                await self.send_message(refusal)  # type: ignore[arg-type]
                return
        await super().handle_subscribe(message)


class LegacyWSHandler(BaseGraphQLWSHandler[RequestContext, None]):
    async def handle_start(self, message: StartMessage) -> None:
        if self.connection_acknowledged:
            payload = cast(dict[str, Any], message["payload"])
            error = await refused_document(self.context, self.websocket, payload)
            if error is not None:
                refusal = {"id": message["id"], "type": "error", "payload": error.formatted}
                await self.send_message(refusal)  # type: ignore[arg-type]
                return
        await super().handle_start(message)


async def close_open_sockets(app: web.Application) -> None:
    """On shutdown: aiohttp waits for handlers to finish, and a WebSocket's never does."""
    sockets = app[OPEN_SOCKETS]
    for socket in list(sockets):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")

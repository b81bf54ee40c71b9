"""GraphQL over WebSocket on /graphql (graphql-transport-ws, and the legacy graphql-ws of
subscriptions-transport-ws): text frames, who the connection speaks for, and closing the
connections when the server stops.

Only subscriptions run over a WebSocket; queries and mutations go over HTTP, where each
request has its own context, its own loaders and the CSRF rule.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

from aiohttp import ClientConnectionResetError, WSCloseCode, web
from strawberry.aiohttp.views import AiohttpWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected

from resolvers.context import RequestContext
from services import accounts
from services.access.viewer import Viewer

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


async def close_open_sockets(app: web.Application) -> None:
    """On shutdown: aiohttp waits for handlers to finish, and a WebSocket's never does."""
    sockets = app[OPEN_SOCKETS]
    for socket in list(sockets):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutting down")

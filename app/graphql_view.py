"""Strawberry's aiohttp view, with our context, JSON encoder and authentication."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView as StrawberryView
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import page as graphiql_page
from app.keys import REQUEST_ID, RUNTIME
from app.sessions import VISITOR_COOKIE, HttpSessionCookies, authenticate
from app.websockets import TextFrames, authenticate_connection, opened
from core.settings import IPNetwork
from resolvers.context import RequestContext
from services.client import ClientInfo


def client_address(request: web.Request, trusted_proxies: tuple[IPNetwork, ...]) -> str | None:
    """The caller's address: the socket's peer, or, when that peer is one of our own proxies,
    the nearest address in ``X-Forwarded-For`` that is not. Without this, every caller behind
    a load balancer shares one address, and one of them could exhaust everyone's login budget.
    """
    address = request.remote
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",")]
    while _is_trusted(address, trusted_proxies) and hops and hops[-1]:
        address = hops.pop()
    return address


def _is_trusted(address: str | None, proxies: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_info(request: web.Request, trusted_proxies: tuple[IPNetwork, ...] = ()) -> ClientInfo:
    return ClientInfo(
        ip=client_address(request, trusted_proxies),
        user_agent=request.headers.get("User-Agent"),
        request_id=request.get(REQUEST_ID),
        gpc=request.headers.get("Sec-GPC", "").strip() == "1",
    )


class GraphQLView(StrawberryView[RequestContext, None]):
    websocket_adapter_class = TextFrames

    def __init__(self, *, graphiql_assets: Path, **options: Any) -> None:
        super().__init__(**options)
        self.graphiql_assets = graphiql_assets

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """Our GraphiQL page (app/graphiql): Strawberry's loads its code from a CDN."""
        return graphiql_page.render(request, self.graphiql_assets)

    async def get_context(
        self, request: web.Request, response: web.StreamResponse
    ) -> RequestContext:
        runtime = request.app[RUNTIME]
        viewer, csrf_verified = await authenticate(request, runtime.settings)
        connection = None
        if isinstance(response, web.WebSocketResponse):
            connection = opened(request, response)
        else:
            # Answers hold personal data: no browser or proxy cache may keep them.
            response.headers["Cache-Control"] = "no-store"
        return RequestContext(
            runtime=runtime,
            viewer=viewer,
            client=client_info(request, runtime.settings.trusted_proxies),
            cookies=HttpSessionCookies(response, runtime.settings),
            csrf_verified=csrf_verified,
            visitor_token=request.cookies.get(VISITOR_COOKIE),
            connection=connection,
        )

    async def on_ws_connect(self, context: RequestContext) -> UnsetType:
        await authenticate_connection(context)
        return UNSET

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

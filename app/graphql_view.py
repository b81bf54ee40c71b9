"""Strawberry's aiohttp view, with our context, JSON encoder and authentication."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView as StrawberryView

from app.context import RequestContext
from app.keys import REQUEST_ID, RUNTIME
from app.sessions import authenticate
from services.client import ClientInfo


def client_info(request: web.Request) -> ClientInfo:
    return ClientInfo(
        ip=request.remote,
        user_agent=request.headers.get("User-Agent"),
        request_id=request.get(REQUEST_ID),
    )


class GraphQLView(StrawberryView[RequestContext, None]):
    async def get_context(
        self, request: web.Request, response: web.StreamResponse
    ) -> RequestContext:
        runtime = request.app[RUNTIME]
        viewer, csrf_verified = await authenticate(request, runtime.settings)
        # Answers hold personal data: no browser or proxy cache may keep them.
        response.headers["Cache-Control"] = "no-store"
        return RequestContext(
            runtime=runtime,
            viewer=viewer,
            client=client_info(request),
            request=request,
            response=response,
            csrf_verified=csrf_verified,
        )

    def encode_json(self, data: Any) -> bytes:
        return orjson.dumps(data)

"""Strawberry's aiohttp view, with our context, JSON encoder and authentication, and the
media types and status codes of GraphQL over HTTP (``app.graphql_http``)."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView as StrawberryView
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, GraphQLRequestProtocol
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from app.graphiql import page as graphiql_page
from app.graphql_http import (
    GRAPHQL_RESPONSE,
    JSON,
    is_request_error,
    rate_limit_headers,
    response_media_type,
    status_of,
    unavailable_retry_after,
)
from app.graphql_requests import (
    MISFIT_MAP,
    NOT_JSON,
    TOO_DEEP,
    JSONTooDeep,
    decode_request_json,
    is_files_map,
    request_data,
)
from app.keys import PERSISTED_QUERIES, REQUEST_ID, RESPONSE_MEDIA_TYPE, RUNTIME
from app.sessions import VISITOR_COOKIE, HttpSessionCookies, authenticate
from app.websockets import (
    LegacyWSHandler,
    TextFrames,
    TransportWSHandler,
    authenticate_connection,
    opened,
)
from core import limits
from core.errors import DomainError, ErrorCode, ResponseTooLarge, ServiceUnavailable
from core.settings import IPNetwork
from resolvers.budgets import charge_unrun, cost_extension
from resolvers.context import RequestContext
from services.client import ClientInfo
from services.persisted_queries import MalformedPersistedQuery, Resolved, is_unrestricted


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


GRAPHQL_METHODS = ("GET", "POST")
NOT_ACCEPTABLE = f"Accept {GRAPHQL_RESPONSE} or {JSON}."


class MethodNotAllowed(HTTPException):
    def __init__(self, reason: str, allow: tuple[str, ...] = GRAPHQL_METHODS) -> None:
        super().__init__(405, reason)
        self.allow = allow


class Unavailable(HTTPException):
    """The database was out of reach before GraphQL ran (the session lookup): 503."""

    def __init__(self, unavailable: ServiceUnavailable) -> None:
        super().__init__(503, unavailable.message)
        self.extensions = unavailable.extensions
        self.retry_after = unavailable.retry_after_seconds


class GraphQLView(StrawberryView[RequestContext, None]):
    websocket_adapter_class = TextFrames
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, *, graphiql_assets: Path, **options: Any) -> None:
        super().__init__(**options)
        self.graphiql_assets = graphiql_assets

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """Our GraphiQL page (app/graphiql): Strawberry's loads its code from a CDN."""
        return graphiql_page.render(request, self.graphiql_assets)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self.run(request=request)
        except HTTPException as error:
            return self.refusal(request, error)
        except web.HTTPClientError as error:
            # aiohttp's own, while reading the body (413 past ``client_max_size``).
            return self.refusal(request, HTTPException(error.status, error.text or error.reason))

    def refusal(self, request: web.Request, error: HTTPException) -> web.Response:
        """A request refused before any GraphQL ran, answered as a GraphQL response all the
        same (``errors`` only), with ``Allow`` on a 405."""
        extensions: dict[str, object] = {"code": ErrorCode.BAD_REQUEST.value}
        # A 405 is cacheable by default; a refusal says nothing worth keeping.
        headers = {"Cache-Control": "no-store"}
        if error.status_code == 405:
            allow = error.allow if isinstance(error, MethodNotAllowed) else GRAPHQL_METHODS
            headers["Allow"] = ", ".join(allow)
        if isinstance(error, Unavailable):
            extensions = dict(error.extensions)
            headers["Retry-After"] = str(error.retry_after)
        refused = {"message": error.reason, "extensions": extensions}
        return web.Response(
            body=self.encode_json({"errors": [refused]}),
            status=error.status_code,
            content_type=request.get(RESPONSE_MEDIA_TYPE) or JSON,
            charset="utf-8",
            headers=headers,
        )

    async def get_sub_response(self, request: web.Request) -> web.Response:
        """The answer's media type is chosen first, from Accept (None: neither is accepted)."""
        media_type = response_media_type(request.headers.get("Accept"))
        request[RESPONSE_MEDIA_TYPE] = media_type
        return web.Response(content_type=media_type or JSON, charset="utf-8")

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        # After GraphiQL had its chance: a browser asks for text/html.
        if isinstance(request, AiohttpHTTPRequestAdapter) and (
            request.request.get(RESPONSE_MEDIA_TYPE) is None
        ):
            raise HTTPException(406, NOT_ACCEPTABLE)
        content_type, _ = parse_content_type(request.content_type or "")
        transport = self._get_stream_transport_from_headers(request.headers)
        protocol: GraphQLRequestProtocol = transport.protocol if transport else "http"
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif "application/json" in content_type:
            data = self.parse_json(await request.get_body())
        elif self.multipart_uploads_enabled and content_type == "multipart/form-data":
            data = await self.parse_multipart(request)
        else:
            raise HTTPException(400, "Unsupported content type")
        if isinstance(data, list):
            # Batching is off: this refuses every list, with Strawberry's words.
            self._validate_batch_request(data, protocol=protocol)
        return request_data(data, protocol)

    def decode_json(self, data: str | bytes) -> object:
        return decode_request_json(data)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return self.decode_json(data)
        except JSONTooDeep as error:
            raise HTTPException(400, TOO_DEEP) from error
        except json.JSONDecodeError as error:
            raise HTTPException(400, NOT_JSON) from error

    async def parse_multipart(self, request: AsyncHTTPRequestAdapter) -> dict[str, str]:
        """Strawberry's, with ``map`` checked first: Strawberry follows each path into
        ``operations`` as it is told, and a map of another shape, or a path to nowhere,
        fails there with whatever Python raises."""
        try:
            form_data = await request.get_form_data()
        except ValueError as error:
            raise HTTPException(400, "Unable to parse the multipart body") from error
        operations = form_data.form.get("operations", "{}")
        files_map = form_data.form.get("map", "{}")
        if isinstance(operations, bytes | str):
            operations = self.parse_json(operations)
        if isinstance(files_map, bytes | str):
            files_map = self.parse_json(files_map)
        if not is_files_map(files_map):
            raise HTTPException(400, MISFIT_MAP)
        try:
            return replace_placeholders_with_files(operations, files_map, form_data.files)
        except KeyError as error:
            raise HTTPException(400, "File(s) missing in form data") from error
        except (IndexError, TypeError, ValueError) as error:
            raise HTTPException(400, MISFIT_MAP) from error

    async def execute_single(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            resolved = await self.resolve_document(request, context, request_data)
        except DomainError as refused:
            error = GraphQLError(refused.message, extensions=refused.extensions)
            # Refused before it ran, like a document that does not validate: charged as one.
            cost = await charge_unrun(context)
            result = ExecutionResult(data=None, errors=[error], extensions=cost_extension(cost))
        else:
            result = await self.execute_resolved(
                request, request_adapter, sub_response, context, root_value, request_data, resolved
            )
        sub_response.set_status(status_of(result, request[RESPONSE_MEDIA_TYPE] or JSON))
        if context.cost is not None:
            sub_response.headers.update(rate_limit_headers(context.cost))
        retry_after = unavailable_retry_after(result)
        if retry_after is not None:
            sub_response.headers["Retry-After"] = str(retry_after)
        return result

    async def resolve_document(
        self, request: web.Request, context: RequestContext, request_data: GraphQLRequestData
    ) -> Resolved:
        """The document a request runs: its ``query``, or the one its persisted-query hash
        names; refused (a DomainError) when this client is held to trusted documents."""
        settings = context.runtime.settings
        try:
            return await request.app[PERSISTED_QUERIES].resolve(
                request_data.query,
                request_data.extensions,
                unrestricted=is_unrestricted(context.viewer, settings),
                trusted_only=settings.trusted_documents_only,
            )
        except MalformedPersistedQuery as error:
            raise HTTPException(400, str(error)) from error

    async def execute_resolved(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
        resolved: Resolved,
    ) -> ExecutionResult:
        request_data = dataclasses.replace(request_data, query=resolved.query)
        try:
            for _attempt in range(2):
                result = await super().execute_single(
                    request=request,
                    request_adapter=request_adapter,
                    sub_response=sub_response,
                    context=context,
                    root_value=root_value,
                    request_data=request_data,
                )
                if not context.lost_connection_under_query or context.rerun:
                    break
                # A query changes nothing: once more, on a fresh connection (never a mutation).
                context.start_rerun()
        except HTTPException as error:
            # The spec's rule: a mutation sent with GET is refused as 405, never run. (Every
            # operation type may come by POST, so only a GET is refused this way.)
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise MethodNotAllowed(
                    "Send mutations with POST; GET carries queries only.", allow=("POST",)
                ) from error
            raise
        if not is_request_error(result):
            # It parsed and validated: worth keeping under its hash, when it came with one.
            await request.app[PERSISTED_QUERIES].register(resolved)
        return result

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A request error has no ``data`` at all in ``application/graphql-response+json``;
        ``application/json`` keeps its legacy ``"data": null``."""
        response = await super().process_result(request, result)
        if request.get(RESPONSE_MEDIA_TYPE) == GRAPHQL_RESPONSE and is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        """The body as encoded, in the media type chosen for it (``get_sub_response``); one
        larger than ``MAX_RESPONSE_BYTES`` is not sent: RESPONSE_TOO_LARGE instead, with the
        status and shape of any result stopped as a whole."""
        body = self.encode_json(response_data)
        if len(body) > limits.MAX_RESPONSE_BYTES:
            too_large = ResponseTooLarge("bytes", limits.MAX_RESPONSE_BYTES)
            error = GraphQLError(too_large.message, extensions=too_large.extensions)
            refused: dict[str, object] = {"errors": [error.formatted]}
            media_type = sub_response.content_type
            if media_type != GRAPHQL_RESPONSE:
                refused["data"] = None
            sub_response.set_status(
                status_of(ExecutionResult(data=None, errors=[error]), media_type)
            )
            body = self.encode_json(refused)
        sub_response.body = body
        return sub_response

    async def get_context(
        self, request: web.Request, response: web.StreamResponse
    ) -> RequestContext:
        runtime = request.app[RUNTIME]
        try:
            viewer, csrf_verified = await authenticate(request, runtime.settings)
        except ServiceUnavailable as unavailable:
            raise Unavailable(unavailable) from unavailable
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

"""The aiohttp application factory and its lifecycle."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware
from redis.asyncio import Redis
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from app import metrics, partner_oauth, routes, social_login, webhooks
from app.admission import ADMISSION, Admission, admitted
from app.cors import cors
from app.db import apply_migrations, open_database
from app.graphiql import assets as graphiql_assets
from app.graphiql import page as graphiql_page
from app.graphql_view import GraphQLView
from app.keys import PERSISTED_QUERIES, PLANS, REQUEST_ID, RUNTIME
from app.partners import HttpPartners
from app.pictures import HttpPictures
from app.redis_client import open_redis
from app.slow_clients import bodies_in_time, connection_options
from app.tasks import BackgroundWork, build_mailer
from app.websockets import OPEN_SOCKETS, close_open_sockets
from core import limits
from core.errors import ErrorCode
from core.runtime import QueryBudgets, Runtime, Throttle
from core.settings import Settings
from resolvers.extensions import INTERNAL_MESSAGE, dependency_unavailable, log_exception
from resolvers.plans.catalog import Plans
from resolvers.schema import build_schema
from services import documents
from services.budgets import MemoryBudgets, RedisBudgets, ResilientBudgets
from services.files import LocalFileStore
from services.notifications.bus import InProcessBus, RedisBus
from services.passwords import Passwords
from services.payments.provider import PaymentProvider
from services.persisted_queries import PersistedQueries, query_store
from services.throttle import MemoryThrottle, RedisThrottle, ResilientThrottle

logger = logging.getLogger("mentor_api.server")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CALLER_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:-]{{1,{limits.MAX_REQUEST_ID_LENGTH}}}")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def request_id_and_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tag each request with an id (logs, audit rows, masked errors) and harden the response."""
    # A caller's id is kept only when it is plainly an id: it lands in logs and audit rows.
    offered = request.headers.get("X-Request-Id", "")
    request_id = offered if CALLER_REQUEST_ID.fullmatch(offered) else secrets.token_hex(8)
    request[REQUEST_ID] = request_id
    try:
        response = await handler(request)
    except web.HTTPException as error:  # 404s and friends are responses too
        _harden(error, request_id)
        raise
    _harden(response, request_id)
    return response


@web.middleware
async def internal_errors_masked(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Whatever a handler did not expect answers as GraphQL answers it: a masked INTERNAL
    error with the request id, logged by type and stack, never by its message. (aiohttp's
    own answer is a text/plain 500, and its log line carries the message.)"""
    try:
        return await handler(request)
    except web.HTTPError as refused:
        return _typed_refusal(refused)
    except web.HTTPException:
        raise
    except Exception as error:
        request_id = request[REQUEST_ID]
        unavailable = dependency_unavailable(error)
        if unavailable is not None:
            # A dependency out of reach is the caller's to retry, on every route alike.
            logger.warning("a dependency was out of reach (request %s)", request_id)
            return _error_response(
                unavailable.message,
                {**unavailable.extensions, "requestId": request_id},
                status=503,
                headers={"Retry-After": str(unavailable.retry_after_seconds)},
            )
        resource = request.match_info.route.resource
        # The route, not the path: a path can hold a key or a token.
        where = f"{request.method} {resource.canonical if resource else '(no route)'}"
        log_exception(error, where, request_id, logger)
        internal: dict[str, object] = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        return _error_response(INTERNAL_MESSAGE, internal, status=500)


# The code a route's refusal carries, by its status; other 4xx are BAD_REQUEST.
REFUSAL_CODES = {
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    408: ErrorCode.TIMEOUT,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}
# Headers of aiohttp's own refusal that describe its text body, not ours.
BODY_HEADERS = ("Content-Type", "Content-Length")


def _typed_refusal(refused: web.HTTPError) -> web.Response:
    """A route's 4xx/5xx (an unknown path, a key that names no file, a method not allowed)
    answered in the shape of every other error, with a code to switch on; its message and
    headers (``Allow``, ``Retry-After``) are kept."""
    default = f"{refused.status}: {refused.reason}"
    message = refused.text if refused.text and refused.text != default else refused.reason
    fallback = ErrorCode.INTERNAL if refused.status >= 500 else ErrorCode.BAD_REQUEST
    code = REFUSAL_CODES.get(refused.status, fallback)
    headers = {k: v for k, v in refused.headers.items() if k not in BODY_HEADERS}
    return _error_response(message, {"code": code.value}, status=refused.status, headers=headers)


def _error_response(
    message: str,
    extensions: dict[str, object],
    *,
    status: int,
    headers: dict[str, str] | None = None,
) -> web.Response:
    return web.Response(
        body=orjson.dumps({"errors": [{"message": message, "extensions": extensions}]}),
        status=status,
        content_type="application/json",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def bounded_bodies(limit: int) -> Middleware:
    """aiohttp's ``client_max_size`` bounds each multipart part, not the request, and
    Strawberry reads every part into memory before any check runs: so a multipart request
    must say its length, and that length must fit, before anything reads it."""

    @web.middleware
    async def bounded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.content_type.startswith("multipart/"):
            length = request.content_length
            if length is None:
                raise web.HTTPLengthRequired(text="Send multipart requests with Content-Length.")
            if length > limit:
                raise web.HTTPRequestEntityTooLarge(max_size=limit, actual_size=length)
        return await handler(request)

    return bounded


def _harden(response: web.StreamResponse, request_id: str) -> None:
    if not response.prepared:
        response.headers["X-Request-Id"] = request_id
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)


@contextlib.asynccontextmanager
async def running_runtime(
    settings: Settings, *, run_migrations: bool, consume_background: bool
) -> AsyncIterator[Runtime]:
    """Everything a process acts with, open inside and closed after: a web process's app and
    ``mentor-api worker`` share it. With ``consume_background`` the process also consumes the
    task queue and sweeps; stopping lets its running jobs finish first."""
    if run_migrations:
        await apply_migrations(settings.database_url)
    database = await open_database(
        settings.database_url, statement_timeout=settings.database_statement_timeout
    )
    redis: Redis | None = None
    throttle: Throttle
    budgets: QueryBudgets
    notifications: InProcessBus | RedisBus
    check_every = settings.subscription_check_interval
    if settings.redis_url:
        redis = open_redis(settings.redis_url)
        throttle = ResilientThrottle(RedisThrottle(redis, settings.redis_key_prefix))
        budgets = ResilientBudgets(
            RedisBudgets(redis, settings.redis_key_prefix), settings.budgets_without_redis
        )
        notifications = RedisBus(redis, settings.redis_key_prefix, check_every)
    else:
        throttle = MemoryThrottle()
        budgets = MemoryBudgets()
        notifications = InProcessBus(check_every)
    background = BackgroundWork(settings, build_mailer(settings))
    payments = PaymentProvider(settings)
    partners = HttpPartners(redis, settings.redis_key_prefix)
    runtime = Runtime(
        settings=settings,
        passwords=Passwords(settings.password_hashing),
        throttle=throttle,
        files=LocalFileStore(settings.file_store_dir),
        outbox=background,
        payments=payments,
        partners=partners,
        notifications=notifications,
        pictures=HttpPictures(),
        budgets=budgets,
        redis=redis,
    )
    await background.start(runtime, consume=consume_background)
    await notifications.start()
    try:
        yield runtime
    finally:
        await notifications.close()
        await background.stop()
        await payments.close()
        await partners.close()
        if redis is not None:
            await redis.aclose()
        await database.close_connections()


def _lifecycle(
    settings: Settings,
    *,
    run_migrations: bool,
    consume_background: bool,
    trusted: documents.TrustedDocuments,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        async with running_runtime(
            settings, run_migrations=run_migrations, consume_background=consume_background
        ) as runtime:
            app[RUNTIME] = runtime
            app[PERSISTED_QUERIES] = PersistedQueries(
                trusted, query_store(runtime.redis, settings.redis_key_prefix)
            )
            yield

    return lifecycle


def create_app(
    settings: Settings,
    *,
    run_migrations: bool | None = None,
    consume_background: bool = True,
) -> web.Application:
    """Build the app. The embedded default migrates its SQLite file on start. Without
    ``consume_background`` it only enqueues: a worker process runs the jobs and the sweep."""
    body_limit = settings.max_upload_bytes + limits.MULTIPART_OVERHEAD_BYTES
    app = web.Application(
        middlewares=[
            request_id_and_headers,
            internal_errors_masked,
            metrics.observed,
            cors(settings.cors_origins),
            bodies_in_time(settings.request_body_idle_timeout, settings.request_body_timeout),
            bounded_bodies(body_limit),
            admitted,
        ],
        client_max_size=body_limit,
        handler_args=connection_options(settings),
    )
    app[ADMISSION] = Admission()
    schema = build_schema(
        development=settings.development, introspection=settings.graphql_introspection
    )
    # Read once, here: a client's document that no longer fits stops the start.
    trusted = documents.load_checked(
        settings.trusted_documents_dir or documents.DOCUMENTS_DIR,
        schema._schema,
        required=settings.trusted_documents_only,
    )
    schema.plans = Plans.compile(schema, trusted, enabled=settings.plans)
    app[PLANS] = schema.plans
    app.cleanup_ctx.append(
        _lifecycle(
            settings,
            run_migrations=settings.embedded if run_migrations is None else run_migrations,
            consume_background=consume_background,
            trusted=trusted,
        )
    )
    ide_assets = graphiql_assets.location(settings.graphiql_assets_dir)
    view = GraphQLView(
        graphiql_assets=ide_assets,
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        multipart_uploads_enabled=True,
        allowed_origins=settings.cors_origins,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        max_subscriptions_per_connection=limits.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    )
    app.router.add_route("*", "/graphql", view)
    app[OPEN_SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(close_open_sockets)
    routes.add_routes(app)
    if settings.graphiql:
        graphiql_page.add_routes(app, ide_assets)
    social_login.add_routes(app)
    partner_oauth.add_routes(app)
    app.router.add_post("/webhooks/stripe", webhooks.stripe_webhook)
    return app

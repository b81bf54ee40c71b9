"""The aiohttp application factory and its lifecycle."""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

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
from app.keys import PERSISTED_QUERIES, REQUEST_ID, RUNTIME
from app.partners import HttpPartners
from app.pictures import HttpPictures
from app.redis_client import open_redis
from app.tasks import BackgroundWork, build_mailer
from app.websockets import OPEN_SOCKETS, close_open_sockets
from core import limits
from core.runtime import QueryBudgets, Runtime, Throttle
from core.settings import Settings
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
            metrics.observed,
            cors(settings.cors_origins),
            bounded_bodies(body_limit),
            admitted,
        ],
        client_max_size=body_limit,
    )
    app[ADMISSION] = Admission()
    schema = build_schema(development=settings.development)
    # Read once, here: a client's document that no longer fits stops the start.
    trusted = documents.load_checked(
        settings.trusted_documents_dir or documents.DOCUMENTS_DIR,
        schema._schema,
        required=settings.trusted_documents_only,
    )
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
        graphql_ide="graphiql",
        multipart_uploads_enabled=True,
        allowed_origins=settings.cors_origins,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        max_subscriptions_per_connection=limits.MAX_SUBSCRIPTIONS_PER_CONNECTION,
    )
    app.router.add_route("*", "/graphql", view)
    app[OPEN_SOCKETS] = weakref.WeakSet()
    app.on_shutdown.append(close_open_sockets)
    routes.add_routes(app)
    graphiql_page.add_routes(app, ide_assets)
    social_login.add_routes(app)
    partner_oauth.add_routes(app)
    app.router.add_post("/webhooks/stripe", webhooks.stripe_webhook)
    return app

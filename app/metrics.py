"""GET /metrics: Prometheus's text format, with no personal data in any name or label.

Counters and histograms are the process's own (``core.metrics``: requests by route and
status, GraphQL requests by operation label and status, latency, query cost, rate-limit
refusals). With
``PROMETHEUS_MULTIPROC_DIR`` set, every process writes them to that folder and whichever
process answers a scrape sums them all (prometheus-client's multiprocess mode); without it,
each process answers for itself. The backlogs (outbox, Stripe events, the task queue) are
read from the database and Redis when scraped, so any process gives the same figures; the
database pool is that of the process that answers.

Who may scrape: a ``METRICS_TOKEN`` bearer when one is set; without it, anyone in
development and nobody in production.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from tortoise import connections

from app.keys import REQUEST_ID, REQUEST_SCOPE, RUNTIME
from core import clock, request_scope
from core.metrics import GRAPHQL_LATENCY, GRAPHQL_REQUESTS, HTTP_LATENCY, HTTP_REQUESTS
from core.runtime import Runtime
from models.outbox import OutboxEmail, OutboxStatus
from models.payments import WebhookEvent
from resolvers.observed import ANONYMOUS
from services.payments.events import PENDING_HORIZON

logger = logging.getLogger("mentor_api.metrics")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

GRAPHQL_ROUTE = "/graphql"
# nginx's status for a request whose client left before the answer.
CLIENT_CLOSED_REQUEST = 499


def _route(request: web.Request) -> str:
    """The route's pattern (``/media/{key}``), never the path asked for: bounded labels."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _observe(request: web.Request, status: int, elapsed: float, websocket: bool) -> None:
    route = _route(request)
    HTTP_REQUESTS.labels(route, str(status)).inc()
    if websocket:  # a connection's lifetime is no request's latency
        return
    HTTP_LATENCY.labels(route).observe(elapsed)
    scope = request_scope.current()
    operation = scope.operation if scope is not None else None
    # GraphiQL's page is no operation; a request refused before GraphQL read it is anonymous.
    if route == GRAPHQL_ROUTE and (operation is not None or status >= 400):
        operation = operation or ANONYMOUS
        GRAPHQL_REQUESTS.labels(operation, str(status)).inc()
        GRAPHQL_LATENCY.labels(operation).observe(elapsed)


@web.middleware
async def observed(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts and times each request, and opens the scope its log lines and labels read.
    aiohttp serves each request in a task of its own, so the scope ends with it (after the
    access log line, which carries it too)."""
    scope = request_scope.RequestScope(request_id=request[REQUEST_ID])
    request_scope.CURRENT.set(scope)
    # aiohttp may write the access line outside the handler's context: it reads it here.
    request[REQUEST_SCOPE] = scope
    started = time.perf_counter()
    status, websocket = 500, False
    try:
        response = await handler(request)
        status, websocket = response.status, isinstance(response, web.WebSocketResponse)
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    except asyncio.CancelledError:  # the client went away: not the server's error
        status = CLIENT_CLOSED_REQUEST
        raise
    finally:
        _observe(request, status, time.perf_counter() - started, websocket)


class Readings:
    """A collector of gauges read just before the scrape (the database is async; a
    collector's ``collect`` is not)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return iter(self._families)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


async def _outbox() -> AsyncIterator[Metric]:
    pending = await OutboxEmail.filter(status=OutboxStatus.PENDING).count()
    yield _gauge("mentor_outbox_pending", "Mail waiting in the outbox to be sent.", pending)


async def _webhooks() -> AsyncIterator[Metric]:
    """Events still retried (Stripe's own retry horizon): how many, and the oldest's age."""
    pending = WebhookEvent.filter(
        processed_at__isnull=True, received_at__gte=clock.now() - PENDING_HORIZON
    )
    count = await pending.count()
    oldest = await pending.order_by("received_at").first().values("received_at")
    lag = (clock.now() - oldest["received_at"]).total_seconds() if oldest else 0.0
    yield _gauge("mentor_stripe_events_pending", "Stripe events received, not applied.", count)
    yield _gauge(
        "mentor_stripe_webhook_lag_seconds", "Age of the oldest Stripe event not applied.", lag
    )


async def _queue(runtime: Runtime) -> AsyncIterator[Metric]:
    if runtime.redis is None:  # the embedded default's queue lives in the process
        return
    depth = await runtime.redis.llen(f"{runtime.settings.redis_key_prefix}tasks")
    yield _gauge("mentor_task_queue_depth", "Task messages waiting in the Redis queue.", depth)


async def _pool() -> AsyncIterator[Metric]:
    """asyncpg's pool, as Tortoise holds it; SQLite has one connection and no pool."""
    pool = getattr(connections.get("default"), "_pool", None)
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    family = GaugeMetricFamily(
        "mentor_db_pool_connections",
        "Database connections of the answering process's pool, by state.",
        labels=["state"],
    )
    family.add_metric(["in_use"], size - idle)
    family.add_metric(["idle"], idle)
    yield family
    yield _gauge("mentor_db_pool_max", "The pool's most connections.", pool.get_max_size())


async def read_gauges(runtime: Runtime) -> list[Metric]:
    """Each reading on its own: one that fails (Redis down) is marked so, the rest are served."""
    readings = {
        "outbox": _outbox(),
        "stripe_events": _webhooks(),
        "task_queue": _queue(runtime),
        "db_pool": _pool(),
    }
    families: list[Metric] = []
    ok = GaugeMetricFamily(
        "mentor_metrics_reading_ok",
        "1 when the reading answered at this scrape.",
        labels=["reading"],
    )
    for name, reading in readings.items():
        try:
            families.extend([family async for family in reading])
            ok.add_metric([name], 1)
        except Exception as error:
            logger.warning("metrics reading %s failed: %s", name, type(error).__name__)
            ok.add_metric([name], 0)
    return [*families, ok]


def _counters() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _refusal(request: web.Request) -> web.Response | None:
    settings = request.app[RUNTIME].settings
    if settings.metrics_token is None:
        if settings.development:
            return None
        return web.Response(status=403, text="Set METRICS_TOKEN to scrape /metrics.\n")
    offered = request.headers.get("Authorization", "")
    if hmac.compare_digest(offered.encode(), f"Bearer {settings.metrics_token}".encode()):
        return None
    return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"}, text="Unauthorized\n")


async def metrics(request: web.Request) -> web.Response:
    refused = _refusal(request)
    if refused is not None:
        return refused
    gauges = CollectorRegistry()
    gauges.register(Readings(await read_gauges(request.app[RUNTIME])))
    return web.Response(
        body=_counters() + generate_latest(gauges),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )

"""GET /metrics: what Prometheus scrapes, parsed with prometheus-client's own parser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from core import clock
from core.metrics import record_cost, record_rate_limited
from core.runtime import Runtime
from models.outbox import OutboxEmail
from models.payments import WebhookEvent
from tests.observability.conftest import METRICS_TOKEN, Scrape, refused_port
from tests.support.backends import Backend
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import PASSWORD, UserFactory

MENTORS = document("Mentors")
LOG_IN = document("LogIn")
GRAPHQL_REQUESTS = "mentor_graphql_requests_total"


async def test_graphql_requests_are_counted_by_known_operation_and_status(
    scrape: Scrape, graphql: GraphQLClient, http: TestClient[Any, Any], users: UserFactory
) -> None:
    await users.create("Olga", email="olga.private@example.com")
    before = await scrape()

    await graphql.data(MENTORS)
    await graphql.data(MENTORS)
    login = {"input": {"email": "olga.private@example.com", "password": PASSWORD}}
    await graphql.data(LOG_IN, login)
    await graphql("query SnoopOnOlga { me { id } }")
    await graphql("{ me { id } }")
    unparsable = await http.post(
        "/graphql",
        json={"query": "query Broken {"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert unparsable.status == 400

    after = await scrape()
    counted = {
        ("Mentors", "200"): 2,
        ("LogIn", "200"): 1,
        ("other", "200"): 1,
        ("anonymous", "200"): 1,
        ("anonymous", "400"): 1,
    }
    for (operation, status), count in counted.items():
        grew = after.grew(before, GRAPHQL_REQUESTS, operation=operation, status=status)
        assert grew == count, (operation, status)
    timed = "mentor_graphql_request_duration_seconds_count"
    assert after.grew(before, timed, operation="Mentors") == 2
    # A client's own operation name, and what it sent, never become labels or text.
    assert "SnoopOnOlga" not in after.text
    assert "olga.private@example.com" not in after.text
    assert PASSWORD not in after.text


async def test_http_requests_are_counted_by_route_pattern_not_path(
    scrape: Scrape, http: TestClient[Any, Any]
) -> None:
    before = await scrape()
    assert (await http.get("/media/secret-key-of-olga.png")).status == 404
    assert (await http.get("/no/such/page")).status == 404
    after = await scrape()

    name = "mentor_http_requests_total"
    media = {"route": "/media/{key}", "status": "404"}
    assert after.grew(before, name, **media) == 1
    unmatched = {"route": "unmatched", "status": "404"}
    assert after.grew(before, name, **unmatched) == 1
    timed = "mentor_http_request_duration_seconds_count"
    assert after.grew(before, timed, route="/media/{key}") == 1
    assert "secret-key-of-olga" not in after.text
    assert "/no/such/page" not in after.text


async def test_backlogs_are_read_from_the_database_at_scrape_time(
    scrape: Scrape, backend: Backend
) -> None:
    empty = await scrape()
    assert empty.value("mentor_outbox_pending") == 0
    assert empty.value("mentor_stripe_events_pending") == 0
    assert empty.value("mentor_stripe_webhook_lag_seconds") == 0

    later = clock.now() + timedelta(hours=1)  # not due: the worker leaves them be
    for number in (1, 2):
        await OutboxEmail.create(
            to_address=f"waiting{number}@example.com", subject="Hi", body="…", next_attempt_at=later
        )
    event = await WebhookEvent.create(
        stripe_event_id="evt_waiting", type="charge.refunded", payload={}
    )
    await WebhookEvent.filter(id=event.id).update(received_at=clock.now() - timedelta(minutes=5))
    waiting = await scrape()

    assert waiting.value("mentor_outbox_pending") == 2
    assert waiting.value("mentor_stripe_events_pending") == 1
    assert 300 <= waiting.value("mentor_stripe_webhook_lag_seconds") < 3600
    for reading in ("outbox", "stripe_events", "task_queue", "db_pool"):
        assert waiting.value("mentor_metrics_reading_ok", reading=reading) == 1, reading
    assert "waiting1@example.com" not in waiting.text


async def test_the_queue_and_the_pool_are_reported_where_they_exist(
    scrape: Scrape, backend: Backend
) -> None:
    scraped = await scrape()
    # Redis and PostgreSQL on the servers' backend; the embedded default has neither a shared
    # queue nor a pool.
    assert scraped.has("mentor_task_queue_depth") == backend.is_postgres
    assert scraped.has("mentor_db_pool_max") == backend.is_postgres
    if backend.is_postgres:
        in_use = scraped.value("mentor_db_pool_connections", state="in_use")
        idle = scraped.value("mentor_db_pool_connections", state="idle")
        assert 1 <= in_use + idle <= scraped.value("mentor_db_pool_max")
        assert scraped.value("mentor_task_queue_depth") >= 0


async def test_a_reading_that_fails_is_marked_and_the_rest_still_served(
    scrape: Scrape, runtime: Runtime
) -> None:
    original = runtime.redis
    refusing = Redis.from_url(f"redis://127.0.0.1:{refused_port()}/0")
    runtime.redis = refusing
    try:
        scraped = await scrape()
    finally:
        runtime.redis = original
        await refusing.aclose()
    assert scraped.value("mentor_metrics_reading_ok", reading="task_queue") == 0
    assert scraped.value("mentor_metrics_reading_ok", reading="outbox") == 1
    assert scraped.has("mentor_outbox_pending")
    assert scraped.has(GRAPHQL_REQUESTS)


async def test_query_cost_and_rate_limit_refusals_are_recorded(scrape: Scrape) -> None:
    before = await scrape()
    record_cost(120)
    record_rate_limited("partner")
    record_rate_limited("Somebody's free text")
    after = await scrape()

    cost = "mentor_graphql_query_cost"
    assert after.value(f"{cost}_count") - before.value(f"{cost}_count") == 1
    assert after.value(f"{cost}_sum") - before.value(f"{cost}_sum") == 120
    assert after.value(f"{cost}_bucket", le="100.0") == before.value(f"{cost}_bucket", le="100.0")
    assert (
        after.value(f"{cost}_bucket", le="250.0") - before.value(f"{cost}_bucket", le="250.0") == 1
    )
    limited = "mentor_rate_limited_total"
    for client_class in ("partner", "other"):
        assert after.grew(before, limited, **{"class": client_class}) == 1, client_class
    assert "free text" not in after.text


async def test_production_asks_for_the_metrics_token(
    http: TestClient[Any, Any], with_settings: Callable[..., None]
) -> None:
    with_settings(metrics_token=METRICS_TOKEN, development=False)
    assert (await http.get("/metrics")).status == 401
    wrong = await http.get("/metrics", headers={"Authorization": "Bearer guessed"})
    assert wrong.status == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    right = await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert right.status == 200

    with_settings(metrics_token=None, development=False)
    refused = await http.get("/metrics")
    assert refused.status == 403
    assert "METRICS_TOKEN" in await refused.text()

    with_settings(metrics_token=None, development=True)
    assert (await http.get("/metrics")).status == 200


async def test_every_priced_query_is_recorded_with_the_cost_it_asked_for(
    scrape: Scrape, http: TestClient[Any, Any]
) -> None:
    before = await scrape()
    response = await http.post(
        "/graphql",
        json={"query": MENTORS, "variables": {"first": 5}},
        headers={"Accept": "application/json"},
    )
    requested = (await response.json())["extensions"]["cost"]["requested"]
    after = await scrape()

    cost = "mentor_graphql_query_cost"
    assert requested > 0
    assert after.value(f"{cost}_count") - before.value(f"{cost}_count") == 1
    assert after.value(f"{cost}_sum") - before.value(f"{cost}_sum") == requested

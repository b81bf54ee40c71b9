"""Benchmark: what one field of the mentors page costs, in process, and where the time goes.

    .venv/bin/python bench/field_cost.py [--backend embedded|postgres] [--via schema|http]
                                         [--plans on|off] [--requests 200] [--mentors 50]
                                         [--profile 25 | --profile 0] [--save-profile FILE]

Starts the real app (``create_app``) without a listening server of its own: on the embedded
default (a SQLite file in a temporary folder) or on a fresh PostgreSQL database with Redis
(``bench/harness.py``, dropped afterwards). Seeds ``--mentors`` mentors with 3 published posts
and 3 testimonials shown on the profile each, then sends graphql/Mentors.graphql with
``first: 50`` as an anonymous visitor:

- ``--via schema``: straight to the app's schema, with a RequestContext built as
  ``GraphQLView.get_context`` builds one (what execution costs: caches, limits, extensions,
  the executor, loaders, SQL);
- ``--via http``: through the app's routes with aiohttp's in-process test client (everything
  above, plus middleware, authentication, the context, JSON both ways, and the client).

Prints µs per request (mean and median wall time of ``--requests`` after a warm-up, and this
process's CPU time per request, which a busy shared machine disturbs less), the fields in the
answer (every key of every object in ``data``) and µs per field; then profiles as many
requests again and prints cProfile's top entries by cumulative and by own time. ``--plans``
sets the PLANS setting and the plan catalog's ``enabled`` switch; with plans on, the run
says how many executions the plan answered and how many bailed out to graphql-core.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from harness import REDIS_URL, ROOT, deployment
from mentor_rows import seed_mentors

sys.path.insert(0, str(ROOT))

from app import server
from app.graphql_view import GraphQLView
from app.keys import PLANS, RUNTIME
from app.processes import collect_only_what_requests_make
from app.sessions import HttpSessionCookies
from core.metrics import PLAN_EXECUTIONS
from core.settings import ClientBudgets, QueryBudget, Settings
from resolvers.context import RequestContext
from services.access.viewer import ANONYMOUS
from services.client import ClientInfo

DOCUMENT = (ROOT / "graphql" / "Mentors.graphql").read_text()
VARIABLES = {"first": 50}
OPERATION = "Mentors"
WARM_UP = 20

Send = Callable[[], Awaitable[dict[str, Any]]]


@asynccontextmanager
async def bench_settings(backend: str) -> AsyncIterator[Settings]:
    data_dir = Path(tempfile.mkdtemp(prefix="mentor-field-cost-"))
    common: dict[str, Any] = {
        "secret_key": "bench",
        "data_dir": data_dir,
        # Charged as ever, never refused: one client sends every request.
        "query_budgets": ClientBudgets(*[QueryBudget(10**9, 10**6)] * 4),
    }
    if backend == "embedded":
        yield Settings(database_url=f"sqlite://{data_dir / 'bench.sqlite3'}", **common)
        return
    async with deployment() as deployed:
        yield Settings(
            database_url=deployed.database_url,
            redis_url=REDIS_URL,
            redis_key_prefix=f"{deployed.name}:",
            **common,
        )


def graphql_view(app: web.Application) -> GraphQLView:
    for route in app.router.routes():
        if isinstance(route.handler, GraphQLView):
            return route.handler
    raise LookupError("the app serves no GraphQL view")


def switch_plans(app: web.Application, on: bool) -> str:
    """Turn the app's plan catalog on or off; what the run says about plans."""
    catalog = app[PLANS]
    catalog.enabled = on
    mentors = "Mentors compiled" if OPERATION in catalog.compiled else "Mentors has no plan"
    return f"plans {'on' if on else 'off'} ({len(catalog.compiled)} compiled; {mentors})"


def through_schema(app: web.Application, settings: Settings) -> Send:
    """The document sent to the app's schema, with the context ``get_context`` would build."""
    schema = graphql_view(app).schema
    runtime = app[RUNTIME]

    async def send() -> dict[str, Any]:
        context = RequestContext(
            runtime=runtime,
            viewer=ANONYMOUS,
            client=ClientInfo(ip="127.0.0.1", user_agent="bench", request_id="bench", gpc=False),
            cookies=HttpSessionCookies(web.Response(), settings),
            csrf_verified=True,
        )
        result = await schema.execute(DOCUMENT, VARIABLES, context, operation_name=OPERATION)
        if result.errors:
            raise RuntimeError(result.errors)
        assert result.data is not None
        return result.data

    return send


def through_http(client: TestClient[Any, Any]) -> Send:
    body = {"query": DOCUMENT, "variables": VARIABLES, "operationName": OPERATION}
    headers = {"Accept": "application/graphql-response+json"}

    async def send() -> dict[str, Any]:
        response = await client.post("/graphql", json=body, headers=headers)
        answer: dict[str, Any] = await response.json(content_type=None)
        if response.status != 200 or "errors" in answer:
            raise RuntimeError(answer)
        data: dict[str, Any] = answer["data"]
        return data

    return send


def count_fields(value: object) -> int:
    """Every key of every object: each is one field GraphQL completed."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_fields(item) for item in value)
    return 0


async def timed(send: Send, requests: int) -> tuple[list[float], float]:
    """Each request's wall time, and the CPU time of this process (its threads too: SQLite
    runs in one) per request, which other work on a shared machine disturbs less."""
    samples = []
    cpu_started = time.process_time()
    for _ in range(requests):
        started = time.perf_counter()
        await send()
        samples.append(time.perf_counter() - started)
    return samples, (time.process_time() - cpu_started) / requests


async def profiled(send: Send, requests: int, top: int, save: Path | None) -> str:
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        await send()
    profile.disable()
    if save is not None:
        profile.dump_stats(save)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs()
    for order in ("cumulative", "tottime"):
        print(f"\n--- top {top} by {order} time, {requests} requests ---", file=out)
        stats.sort_stats(order).print_stats(top)
    return out.getvalue()


def plan_executions() -> dict[str, float]:
    return {
        sample.labels["outcome"]: sample.value
        for metric in PLAN_EXECUTIONS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("document") == "Mentors"
    }


async def run(args: argparse.Namespace) -> None:
    async with bench_settings(args.backend) as chosen:
        settings = dataclasses.replace(chosen, plans=args.plans == "on")
        # No background worker: its sweep runs SQL on its own clock, beside the requests.
        app = server.create_app(settings, run_migrations=True, consume_background=False)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await seed_mentors(
                args.mentors, posts_each=3, testimonials_each=3, clients=20, private_every=None
            )
            # As a served process does once started (``app.processes``).
            collect_only_what_requests_make()
            print(switch_plans(app, args.plans == "on"))
            send = through_schema(app, settings) if args.via == "schema" else through_http(client)
            fields = count_fields(await send())
            await timed(send, WARM_UP)
            before = plan_executions()
            samples, cpu = await timed(send, args.requests)
            after = plan_executions()
            ran = {k: int(v - before.get(k, 0)) for k, v in after.items() if v > before.get(k, 0)}
            mean = statistics.mean(samples) * 1e6
            median = statistics.median(samples) * 1e6
            print(
                f"{args.backend}, via {args.via}, {args.requests} requests of Mentors "
                f"(first: {VARIABLES['first']}) over {args.mentors} mentors"
                + (f"; plan executions {ran}" if ran else "")
            )
            cpu *= 1e6
            print(f"µs per request: mean {mean:.0f}, median {median:.0f}, cpu {cpu:.0f}")
            print(f"fields in the response: {fields}")
            print(
                f"µs per field: mean {mean / fields:.2f}, median {median / fields:.2f}, "
                f"cpu {cpu / fields:.2f}"
            )
            if args.profile:
                print(await profiled(send, args.requests, args.profile, args.save_profile))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="embedded")
    parser.add_argument("--via", choices=("schema", "http"), default="schema")
    parser.add_argument("--plans", choices=("on", "off"), default="off")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--mentors", type=int, default=50)
    parser.add_argument("--profile", type=int, default=25, help="top entries; 0: no profile")
    parser.add_argument("--save-profile", type=Path, help="also write the profile (pstats) here")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

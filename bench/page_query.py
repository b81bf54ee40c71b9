"""Benchmark of compiled plans (issue 15): the mentors page against the hand-written floor,
every trusted query with plans and without, SQL statements per page, and memory.

    .venv/bin/python bench/page_query.py [--mentors 200] [--first 50] [--concurrency 16]
        [--seconds 10] [--query-seconds 3] [--query-concurrency 4] [--memory-requests 10000]
        [--only page,queries,statements,memory]

Creates a fresh PostgreSQL database (BENCH_DATABASE_SERVER, default the local server) and
seeds it: mentors with posts and permitted testimonials, and for every trusted query the rows
it reads (bench/trusted_rows.py, bench/trusted_queries.py). Starts, side by side,
`mentor-api serve` with PLANS=1 and with PLANS=0 (with Redis, as in production; query budgets
raised so no load is refused) and bench/floor.py. Then, each part unless --only leaves it out:

- page: graphql/Mentors.graphql (its exact text, {"first": N}) from the floor, the app with
  plans and the app with plans off; all three must answer the same `data`, then each is
  driven alone from a load process of its own.
- queries: each query of graphql/ sent as its viewer (anonymous, a signed-in user, staff with
  every staff permission) with variables naming seeded rows, with plans and without; a query
  answering errors is reported, not measured. "same data" compares the two servers' first
  answers; "plan" is what the plans server's /metrics says its plans did meanwhile; "bound"
  is the ceiling (`{ __typename }`, a request with nothing to execute) over plans off: the
  most any way of executing the query could gain over graphql-core.
- statements: SQL statements per request of the mentors page at first 5, 50 and 100, counted
  from Tortoise's log in an app served in this process (bench/statement_count.py).
- memory: resident size (VmRSS) of a fresh server with plans, after 100 page requests and
  after --memory-requests of them (10 000 by default: the longest part while a page takes
  tens of milliseconds; give fewer while developing).

Stops the servers and drops the database at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from harness import ROOT, Deployment, deployment, free_port, wait_until_ready

sys.path.insert(0, str(ROOT))

import statement_count
import trusted_queries
import trusted_rows
from mentor_rows import seed_mentors
from prometheus_client.parser import text_string_to_metric_families

from app.db import apply_migrations, open_database

PARTS = ("page", "queries", "statements", "memory")
PAGE = (ROOT / "graphql" / "Mentors.graphql").read_text()
UNLIMITED_BUDGET = "1000000000,1000000"
METRICS_TOKEN = "bench-metrics"
HEADER = """\
Figures: throughput is answered requests per second over the run (a request answered with
GraphQL `errors` or not 200 counts as failed, not answered); p50/p99 are latencies in ms as the
load process sees them; plans/floor and plans/off are throughput ratios. Answers are compared
on `data` only: the app adds `extensions.cost`, the floor has no such extension."""


async def seed(database_url: str, mentors: int) -> trusted_queries.Seeded:
    """Each mentor: 4 published posts, 5 testimonials of which 4 may be shown on the profile;
    then the rows the other trusted queries read."""
    await apply_migrations(database_url)
    database = await open_database(database_url)
    try:
        await seed_mentors(mentors)
        return await trusted_rows.seed_rows()
    finally:
        await database.close_connections()


async def answer(url: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    async with aiohttp.ClientSession() as session:
        sent = {"Content-Type": "application/json", **(headers or {})}
        async with session.post(url, data=body, headers=sent) as response:
            return await response.json(content_type=None)


def load(
    url: str,
    body: bytes,
    *,
    concurrency: int,
    seconds: float,
    requests: int = 10**9,
    warm_up: float = 0.0,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Warm up, then measure, each in a load process of its own (bench/load.py)."""
    command = [sys.executable, str(ROOT / "bench" / "load.py"), url, body.decode()]
    sent = json.dumps(headers or {})
    if warm_up:
        warm = [*command, str(concurrency), str(10**9), str(warm_up), sent]
        subprocess.run(warm, check=True, capture_output=True)
    measured = subprocess.run(
        [*command, str(concurrency), str(requests), str(seconds), sent],
        check=True,
        capture_output=True,
        text=True,
    )
    stats: dict[str, Any] = json.loads(measured.stdout)
    return stats


def figures(stats: dict[str, Any]) -> str:
    if not stats.get("requests"):
        return f"every request failed ({stats['failures']}): {stats['first_failure']}"
    failed = f", {stats['failures']} FAILED: {stats['first_failure']}" if stats["failures"] else ""
    return (
        f"{stats['throughput']:8.1f} req/s  p50 {stats['p50_ms']:7.2f} ms  "
        f"p99 {stats['p99_ms']:7.2f} ms  ({stats['requests']} in {stats['seconds']}s{failed})"
    )


def page_body(first: int) -> bytes:
    return json.dumps({"query": PAGE, "variables": {"first": first}}).encode()


async def start_floor(deployed: Deployment) -> str:
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "floor.py"), deployed.database_url]
    process = deployed.start([*command, str(port), deployed.env["SECRET_KEY"]])
    url = f"http://127.0.0.1:{port}/graphql"
    await wait_until_ready(url, process)
    return url


async def compare_page(urls: dict[str, str], args: argparse.Namespace) -> None:
    print(f"\n## 1. Mentors.graphql, first {args.first}, {args.concurrency} concurrent")
    body = page_body(args.first)
    answers = {label: await answer(url, body) for label, url in urls.items()}
    for label, found in answers.items():
        if found.get("errors") or found["data"] != answers["floor"]["data"]:
            raise SystemExit(f"{label} does not answer the floor's data: {str(found)[:2000]}")
    size = len(json.dumps(answers["floor"]["data"]))
    print(f"floor, plans and plans off answer the same data ({size} bytes of JSON)")
    results = {}
    servers = ("plans", "plans off")
    before = {label: await plan_executions(urls[label]) for label in servers}
    for label, url in urls.items():
        results[label] = load(
            url, body, concurrency=args.concurrency, seconds=args.seconds, warm_up=3.0
        )
        print(f"{label:>9}: {figures(results[label])}")
    for label in servers:
        ran = outcome(before[label], await plan_executions(urls[label]))
        print(f"{label} server's plan executions meanwhile (warm-up included): {ran}")
    floor, plans, off = results["floor"], results["plans"], results["plans off"]
    print(f"plans/floor throughput: {plans['throughput'] / floor['throughput']:.2f} (target ≥ 0.5)")
    print(f"plans/off throughput:   {plans['throughput'] / off['throughput']:.2f}")
    print(f"plans p99/p50:          {plans['p99_ms'] / plans['p50_ms']:.2f} (target ≤ 2)")


async def plan_executions(url: str) -> dict[tuple[str, str], float]:
    """The server's plan executions so far, by (document, outcome), from its /metrics."""
    metrics_url = url.rsplit("/", 1)[0] + "/metrics"
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        async with session.get(metrics_url, headers=headers) as response:
            text = await response.text()
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "mentor_graphql_plan_executions_total":
                found[(sample.labels["document"], sample.labels["outcome"])] = sample.value
    return found


def outcome(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> str:
    """What the plans did for the requests between two readings: answered, bailed, or none."""
    ran = {key: value - before.get(key, 0) for key, value in after.items()}
    by_outcome = {o: int(n) for (_, o), n in ran.items() if n}
    return ", ".join(f"{o} {n}" for o, n in sorted(by_outcome.items())) or "no plan ran"


async def compare_queries(
    urls: dict[str, str], seeded: trusted_queries.Seeded, args: argparse.Namespace
) -> None:
    documents = trusted_queries.trusted_queries()
    print(
        f"\n## 2. Every trusted query ({len(documents)}), {args.query_seconds}s each at "
        f"{args.query_concurrency} concurrent; plan outcomes from the plans server's /metrics"
    )
    # What a request costs with next to nothing to execute: HTTP, middleware, parsing, cost
    # and budget. No query can run faster than this, so ``ceiling / off`` bounds what any
    # execution engine could make of it ("bound").
    ceiling = load(
        urls["plans"],
        json.dumps({"query": "{ __typename }"}).encode(),
        concurrency=args.query_concurrency,
        seconds=args.query_seconds,
        warm_up=0.5,
    )
    print(f"ceiling, {{ __typename }} on the plans server: {figures(ceiling)}")
    print(
        f"{'query':<24}{'viewer':<7}{'plans':>9}{'off':>9}{'ratio':>7}{'bound':>7}  same data  plan"
    )
    ratios = []
    bounded = []
    for name, text in documents.items():
        body = json.dumps({"query": text, "variables": seeded.variables(name, args.first)})
        headers = seeded.headers(name)
        viewer = trusted_queries.viewer_of(name)
        first = {label: await answer(urls[label], body.encode(), headers) for label in urls}
        errors = [f"{label}: {a['errors']}" for label, a in first.items() if a.get("errors")]
        if errors:
            print(f"{name:<24}{viewer:<7}  ERRORS, not measured: {'; '.join(errors)[:300]}")
            continue
        same = "yes" if first["plans"]["data"] == first["plans off"]["data"] else "NO"
        if name in trusted_queries.VARYING:
            same = "varies*"
        before = {label: await plan_executions(url) for label, url in urls.items()}
        stats = {
            label: load(
                url,
                body.encode(),
                concurrency=args.query_concurrency,
                seconds=args.query_seconds,
                warm_up=0.5,
                headers=headers,
            )
            for label, url in urls.items()
        }
        ran = outcome(before["plans"], await plan_executions(urls["plans"]))
        if await plan_executions(urls["plans off"]) != before["plans off"]:
            ran += "; PLANS OFF RAN A PLAN"
        if any(s["failures"] for s in stats.values()):
            failed = next(s["first_failure"] for s in stats.values() if s["failures"])
            print(f"{name:<24}{viewer:<7}  FAILED under load, not counted: {failed}")
            continue
        plans, off = stats["plans"]["throughput"], stats["plans off"]["throughput"]
        ratios.append(plans / off)
        bound = ceiling["throughput"] / off
        if bound < 3:
            bounded.append(name)
        print(
            f"{name:<24}{viewer:<7}{plans:9.1f}{off:9.1f}{plans / off:7.2f}{bound:7.1f}"
            f"  {same:<9}  {ran}"
        )
    for name, why in trusted_queries.VARYING.items():
        print(f"* {name}: not compared, {why}")
    if ratios:
        print(
            f"{len(ratios)} of {len(documents)} measured; plans/off ratio min {min(ratios):.2f}, "
            f"median {sorted(ratios)[len(ratios) // 2]:.2f} (target ≥ 3 each)"
        )
        print(
            f"{len(bounded)} whose bound is under 3 (plans off already past a third of the "
            f"ceiling): {', '.join(bounded) or 'none'}"
        )


async def count_statements(env: dict[str, str]) -> None:
    print("\n## 3. SQL statements per request, Mentors.graphql (in-process app, Tortoise's log)")
    sizes = [5, 50, 100]
    for plans in (True, False):
        served = {**env, **server_env(plans=plans)}
        counts, ran = await statement_count.count(served, PAGE, [{"first": n} for n in sizes])
        by_size = "  ".join(f"first {n}: {c}" for n, c in zip(sizes, counts, strict=True))
        label = "plans" if plans else "plans off"
        print(f"{label:>9}: {by_size}  (plan executions: {ran or 'none'})")


def resident_kib(pid: int) -> int:
    """VmRSS of a process and of its children (a served app has none today)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += resident_kib(int(child))
    return total


async def measure_memory(deployed: Deployment, args: argparse.Namespace) -> None:
    print(f"\n## 4. Memory: a fresh server with plans, Mentors.graphql first {args.first}")
    url, process = await deployed.serving(**server_env(plans=True))
    body = page_body(args.first)
    early = load(url, body, concurrency=args.concurrency, seconds=3600, requests=100)
    after_100 = resident_kib(process.pid)
    rest = args.memory_requests - 100
    late = load(url, body, concurrency=args.concurrency, seconds=3600, requests=rest)
    after_all = resident_kib(process.pid)
    failed = early["failures"] + late["failures"]
    print(f"VmRSS after {100:>6} requests: {after_100 / 1024:7.1f} MiB")
    print(f"VmRSS after {args.memory_requests:>6} requests: {after_all / 1024:7.1f} MiB")
    growth = (after_all - after_100) / after_100
    print(f"growth: {growth:+.1%} (target within 10%); {failed} requests failed")


def server_env(*, plans: bool) -> dict[str, str]:
    budgets = {f"QUERY_BUDGET_{c}": UNLIMITED_BUDGET for c in ("ANONYMOUS", "USER", "STAFF")}
    configured = trusted_queries.CONFIGURATION
    return {"PLANS": "1" if plans else "0", "METRICS_TOKEN": METRICS_TOKEN, **budgets, **configured}


async def run(args: argparse.Namespace) -> None:
    parts = set(args.only.split(",")) if args.only else set(PARTS)
    if unknown := parts - set(PARTS):
        raise SystemExit(f"--only takes {', '.join(PARTS)}, not {', '.join(unknown)}")
    print(HEADER)
    began = time.perf_counter()
    async with deployment() as deployed:
        started = time.perf_counter()
        seeded = await seed(deployed.database_url, args.mentors)
        print(
            f"seeded {args.mentors} mentors and the trusted queries' rows in "
            f"{time.perf_counter() - started:.1f}s"
        )
        urls = {}
        if parts & {"page", "queries"}:
            urls["plans"] = await deployed.serve(**server_env(plans=True))
            urls["plans off"] = await deployed.serve(**server_env(plans=False))
        if "page" in parts:
            floor = await start_floor(deployed)
            await compare_page({"floor": floor, **urls}, args)
        if "queries" in parts:
            await trusted_queries.sign_in_and_act(urls["plans"], seeded)
            await compare_queries(urls, seeded, args)
        if "statements" in parts:
            await count_statements(deployed.env)
        if "memory" in parts:
            await measure_memory(deployed, args)
    print(f"\nthe whole run took {time.perf_counter() - began:.0f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentors", type=int, default=200)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--query-seconds", type=float, default=3.0)
    parser.add_argument("--query-concurrency", type=int, default=4)
    parser.add_argument("--memory-requests", type=int, default=10_000)
    parser.add_argument("--only", help=f"comma-separated parts to run, of {', '.join(PARTS)}")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

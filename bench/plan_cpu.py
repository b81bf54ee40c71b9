"""Benchmark: the CPU each trusted query costs a request, with plans and without, in process.

    .venv/bin/python bench/plan_cpu.py [--backend postgres|embedded] [--requests 60] [--rounds 3]

Throughput over HTTP (bench/page_query.py) moves with whatever else a shared machine runs; the
CPU time of this one process per request moves far less. Starts the real app
(``create_app``) behind aiohttp's test server, seeds what bench/page_query.py seeds (mentors,
and the rows every trusted query reads, through the API where a client would make them), then
for each query of graphql/, sent as its viewer with its variables, takes rounds of
``--requests`` requests with plans on and off in turn and keeps each side's best round: this
process's CPU time per request (the test client's half of HTTP included, the same on both
sides), and the ratio. "{ __typename }" gives the floor of a request that executes nothing:
``off / that`` bounds the ratio any executor could reach.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from field_cost import bench_settings
from harness import ROOT
from mentor_rows import seed_mentors

sys.path.insert(0, str(ROOT))

import trusted_queries
import trusted_rows

from app import server
from app.keys import PLANS
from app.processes import collect_only_what_requests_make

EMPTY = "{ __typename }"


async def cpu_per_request(
    client: TestClient[Any, Any], body: bytes, headers: dict[str, str], requests: int
) -> float:
    """Milliseconds of this process's CPU per request; a request that fails stops the run."""
    sent = {"Content-Type": "application/json", "Accept": "application/json", **headers}
    started = time.process_time()
    for _ in range(requests):
        response = await client.post("/graphql", data=body, headers=sent)
        answer = await response.json(content_type=None)
        if response.status != 200 or answer.get("errors"):
            raise RuntimeError(f"{response.status}: {json.dumps(answer)[:300]}")
    return (time.process_time() - started) / requests * 1000


async def run(args: argparse.Namespace) -> None:
    async with bench_settings(args.backend) as chosen:
        settings = dataclasses.replace(chosen, plans=True)
        app = server.create_app(settings, run_migrations=True, consume_background=False)
        async with TestClient(TestServer(app, host="127.0.0.1")) as client:
            await seed_mentors(args.mentors)
            seeded = await trusted_rows.seed_rows()
            await trusted_queries.sign_in_and_act(str(client.make_url("/graphql")), seeded)
            collect_only_what_requests_make()
            catalog = app[PLANS]

            async def best(body: bytes, headers: dict[str, str]) -> tuple[float, float]:
                """Each side's best round, the sides taking turns round by round, so a drift
                of the machine or of the data (a view counted) falls on both alike."""
                rounds: dict[bool, list[float]] = {True: [], False: []}
                for plans in (True, False):
                    catalog.enabled = plans
                    await cpu_per_request(client, body, headers, 5)  # warm: caches, loaders
                for _ in range(args.rounds):
                    for plans in (True, False):
                        catalog.enabled = plans
                        rounds[plans].append(
                            await cpu_per_request(client, body, headers, args.requests)
                        )
                return min(rounds[True]), min(rounds[False])

            empty = json.dumps({"query": EMPTY}).encode()
            _, nothing = await best(empty, {})
            print(f"{args.backend}: ms of CPU per request, best of {args.rounds} rounds of ")
            print(f"{args.requests}; {EMPTY} costs {nothing:.2f} ms (the floor of a request)")
            print(f"{'query':<24}{'viewer':<7}{'plans':>8}{'off':>8}{'ratio':>7}{'bound':>7}")
            ratios = []
            for name, text in trusted_queries.trusted_queries().items():
                variables = seeded.variables(name, args.first)
                body = json.dumps({"query": text, "variables": variables}).encode()
                headers = seeded.headers(name)
                try:
                    on, off = await best(body, headers)
                except RuntimeError as error:
                    print(f"{name:<24}answers errors, not measured: {error}")
                    continue
                ratios.append(off / on)
                print(
                    f"{name:<24}{trusted_queries.viewer_of(name):<7}{on:8.2f}{off:8.2f}"
                    f"{off / on:7.2f}{off / nothing:7.1f}"
                )
            ordered = sorted(ratios)
            print(
                f"plans/off CPU ratio over {len(ratios)} queries: min {ordered[0]:.2f}, "
                f"median {ordered[len(ordered) // 2]:.2f}, max {ordered[-1]:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("embedded", "postgres"), default="postgres")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mentors", type=int, default=200)
    parser.add_argument("--first", type=int, default=50)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""Benchmark: what pricing an operation costs, and the cost bomb refused with no SQL.

    .venv/bin/python bench/query_cost.py [--repeat 2000] [--requests 200]

Times ``resolvers.query_cost.requested_cost`` on the largest document of graphql/ (by size),
on the costliest one, and on a cost bomb of 30 aliased triple-nested pages (about 6 x 10^7
points); then serves the real app on the embedded default (a SQLite file in a temporary
folder) and sends the bomb over HTTP, counting the SQL statements Tortoise sends while it is
refused, against a trivial query for reference. About ten seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from graphql import DocumentNode, parse
from harness import ROOT

sys.path.insert(0, str(ROOT))

from app.server import create_app
from core.settings import Settings
from resolvers.query_cost import requested_cost
from resolvers.schema import build_schema

BOMB = (
    "{ "
    + " ".join(
        f"m{i}: mentors(first: 100) {{ edges {{ node {{ posts(first: 100) {{ edges {{ node {{ "
        "author { posts(first: 100) { edges { node { id } } } } } } } } } }"
        for i in range(30)
    )
    + " }"
)
SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


class Statements(logging.Handler):
    """The statements Tortoise logs, as tests/marketplace/test_no_n_plus_one.py counts them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.sent: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().lstrip()
        if message.upper().startswith(SQL_VERBS):
            self.sent.append(message)


def time_cost(schema: Any, document: DocumentNode, repeat: int) -> tuple[int, float]:
    """The cost, and the median microseconds of computing it."""
    cost = requested_cost(schema, document, None, {})
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        requested_cost(schema, document, None, {})
        samples.append(time.perf_counter() - started)
    return cost, statistics.median(samples) * 1e6


async def serve_bomb(requests: int) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="mentor-cost-bench-"))
    settings = Settings(
        database_url=f"sqlite://{data_dir / 'bench.sqlite3'}",
        secret_key="bench",
        data_dir=data_dir,
        development=True,
    )
    statements = Statements()
    sql_log = logging.getLogger("tortoise.db_client")
    # No background worker: its sweep runs SQL on its own clock, beside the requests.
    app = create_app(settings, consume_background=False)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        sql_log.setLevel(logging.DEBUG)
        sql_log.addHandler(statements)
        figures: dict[str, float] = {}
        for name, query in (("bomb", BOMB), ("__typename", "{ __typename }")):
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": query},
                    headers={"Accept": "application/graphql-response+json"},
                )
                body = await response.json(content_type=None)
                samples.append(time.perf_counter() - started)
            if name == "bomb":
                assert response.status == 400, body
                assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
                figures["bomb_sql_statements"] = len(statements.sent)
            figures[f"{name}_request_p50_ms"] = round(statistics.median(samples) * 1000, 3)
        sql_log.removeHandler(statements)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    schema = build_schema()._schema
    paths = sorted((ROOT / "graphql").glob("*.graphql"))
    documents = {path.stem: parse(path.read_text()) for path in paths}
    largest = max(paths, key=lambda path: path.stat().st_size).stem
    costliest = max(documents, key=lambda name: requested_cost(schema, documents[name], None, {}))
    for label, name in (("largest", largest), ("costliest", costliest)):
        cost, micros = time_cost(schema, documents[name], args.repeat)
        print(f"{label} document {name}: cost {cost}, computed in {micros:.1f} µs (median)")
    cost, micros = time_cost(schema, parse(BOMB), args.repeat)
    print(f"cost bomb: cost {cost}, computed in {micros:.1f} µs (median)")
    for key, value in asyncio.run(serve_bomb(args.requests)).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()

"""The process's counters and histograms, beside the two calls the GraphQL layer and the
budgets make: any layer may record, and ``app.metrics`` serves them at /metrics. Every label
comes from a bounded set of ours, never from what a client sent."""

from __future__ import annotations

import re

from prometheus_client import Counter, Histogram

# Query cost runs from 1 (one field) to the refused cost bombs.
COST_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 100000)
# A client class is a word of ours (partner, user, anonymous); anything else is one label.
CLIENT_CLASS = re.compile(r"[a-z][a-z_]{0,31}")

HTTP_REQUESTS = Counter(
    "mentor_http_requests", "HTTP requests answered, by route and status.", ["route", "status"]
)
HTTP_LATENCY = Histogram(
    "mentor_http_request_duration_seconds", "Time to answer an HTTP request.", ["route"]
)
GRAPHQL_REQUESTS = Counter(
    "mentor_graphql_requests",
    "GraphQL requests over HTTP, by operation (a known name, anonymous or other) and status.",
    ["operation", "status"],
)
GRAPHQL_LATENCY = Histogram(
    "mentor_graphql_request_duration_seconds",
    "Time to answer a GraphQL request over HTTP, by operation.",
    ["operation"],
)
QUERY_COST = Histogram(
    "mentor_graphql_query_cost", "Requested cost of each GraphQL query.", buckets=COST_BUCKETS
)
PLAN_EXECUTIONS = Counter(
    "mentor_graphql_plan_executions",
    "Trusted queries run as compiled plans, by document and outcome: answered by the plan, "
    "or bailed out to graphql-core's executor.",
    ["document", "outcome"],
)
RATE_LIMITED = Counter(
    "mentor_rate_limited", "Requests refused for an exhausted budget, by client class.", ["class"]
)


def record_cost(requested: int) -> None:
    """The cost a query asked for, computed before it ran (refused ones too)."""
    QUERY_COST.observe(requested)


def record_rate_limited(client_class: str) -> None:
    """One request refused as RATE_LIMITED for a client of ``client_class``."""
    RATE_LIMITED.labels(client_class if CLIENT_CLASS.fullmatch(client_class) else "other").inc()

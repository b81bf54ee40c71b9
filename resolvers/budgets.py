"""Query cost and per-client budgets, as one schema extension.

Before an operation runs, its cost (``resolvers.query_cost``) is checked against
``MAX_QUERY_COST`` and taken from its client's bucket (``services.budgets``); an operation
that costs too much, or more than the bucket holds, is refused and nothing of it runs. Every
answer over HTTP carries ``extensions.cost`` like Shopify's, and the rate-limit headers are
read from ``RequestContext.cost`` (``app.graphql_view``).

Subscriptions (WebSocket) are not charged: each connection holds at most
``MAX_SUBSCRIPTIONS_PER_CONNECTION``, and their events are the server's to send.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from core import limits, metrics
from core.errors import AccessError, ErrorCode, QueryTooComplex, RateLimited
from core.settings import ClientClass
from resolvers.context import RequestContext
from resolvers.query_cost import actual_cost, requested_cost
from services.budgets import QueryCost

# What a document that never ran (it did not parse or validate, or cost too much) is charged:
# reading it was work, so a flood of them is bounded too.
REFUSED_DOCUMENT_COST = 1


def budget_holder(context: RequestContext) -> tuple[ClientClass, str]:
    """Whose bucket an operation is charged to, and the class whose budget it has: a signed-in
    user's (staff have their own class) by account, so every session and device of one user
    shares it; an anonymous caller's by network (/24 or /48, as ``services.client`` keeps it),
    as many people behind one NAT are one client to us.

    A partner app is recognised before the user it may act for: all its keys and the tokens
    its users granted it share the app's bucket, with the partner budget.
    """
    partner = context.partner_app
    if partner is not None:
        return ClientClass.PARTNER, f"partner:{partner.app_id}"
    user = context.viewer.user
    if user is not None:
        return (ClientClass.STAFF if user.is_staff else ClientClass.USER), f"user:{user.id}"
    return ClientClass.ANONYMOUS, f"ip:{context.client.ip_prefix or 'unknown'}"


async def _charge(context: RequestContext, requested: int, points: int) -> QueryCost:
    client_class, key = budget_holder(context)
    budget = context.runtime.settings.query_budgets.of(client_class)
    bucket = await context.runtime.budgets.spend(key, points, budget)
    context.cost = QueryCost(client_class, requested, bucket)
    return context.cost


async def charge_unrun(context: RequestContext) -> QueryCost:
    """Charge an operation that never reached execution (it did not parse or validate, or
    was refused before it was looked at) what reading it cost."""
    return await _charge(context, 0, REFUSED_DOCUMENT_COST)


def cost_extension(cost: QueryCost) -> dict[str, Any]:
    """``extensions.cost`` of a response, in Shopify's shape."""
    bucket = cost.bucket
    return {
        "cost": {
            "requested": cost.requested,
            "actual": cost.actual,
            "throttleStatus": {
                "maximumAvailable": bucket.maximum,
                "currentlyAvailable": int(bucket.available),
                "restoreRate": bucket.restore_rate,
            },
        }
    }


def _refusal(error: AccessError) -> GraphQLExecutionResult:
    return GraphQLExecutionResult(
        data=None, errors=[GraphQLError(error.message, original_error=error)]
    )


class QueryBudgetGuard(SchemaExtension):
    """Price the operation, refuse it when it costs too much or its client's bucket holds
    less, and report the cost and the bucket in ``extensions.cost``."""

    def _http_context(self) -> RequestContext | None:
        context = self.execution_context.context
        if isinstance(context, RequestContext) and context.connection is None:
            return context
        return None

    @staticmethod
    def _limit(context: RequestContext) -> int:
        """The most one operation may cost: MAX_QUERY_COST, or less when the client's whole
        bucket is smaller (an operation it could never afford is refused as too complex)."""
        client_class, _ = budget_holder(context)
        capacity = context.runtime.settings.query_budgets.of(client_class).capacity
        return min(limits.MAX_QUERY_COST, capacity)

    async def on_execute(self) -> AsyncIterator[None]:
        context = self._http_context()
        execution = self.execution_context
        # A query run again because its database connection broke was charged once already.
        if context is None or execution.graphql_document is None or context.rerun:
            yield
            return
        requested = requested_cost(
            execution.schema._schema,
            execution.graphql_document,
            execution.operation_name,
            execution.variables,
        )
        metrics.record_cost(requested)
        limit = self._limit(context)
        if requested > limit:
            cost = await _charge(context, requested, REFUSED_DOCUMENT_COST)
            cost.refused = ErrorCode.QUERY_TOO_COMPLEX
            execution.result = _refusal(QueryTooComplex(requested, limit))
        else:
            charged = max(requested, 1)
            cost = await _charge(context, requested, charged)
            if not cost.bucket.granted:
                cost.refused = ErrorCode.RATE_LIMITED
                cost.retry_after = max(1, cost.bucket.seconds_until(charged))
                metrics.record_rate_limited(cost.client_class.value)
                message = (
                    f"This operation costs {charged} points and your budget holds "
                    f"{int(cost.bucket.available)}; try again in {cost.retry_after} seconds."
                )
                execution.result = _refusal(RateLimited(cost.retry_after, message))
        yield

    async def get_results(self) -> dict[str, Any]:
        context = self._http_context()
        if context is None:
            return {}
        cost = context.cost
        if cost is None:
            cost = await charge_unrun(context)
        elif cost.refused is None:
            execution = self.execution_context
            assert execution.graphql_document is not None
            data = execution.result.data if execution.result is not None else None
            cost.actual = actual_cost(
                execution.schema._schema,
                execution.graphql_document,
                execution.operation_name,
                execution.variables,
                data,
            )
        return cost_extension(cost)

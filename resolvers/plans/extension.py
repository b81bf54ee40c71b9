"""The one place a plan replaces graphql-core's executor: the innermost ``on_execute``.

Set last among the schema's extensions, so every other one (parsing and validation caches,
limits, cost, CSRF, audit of staff reads, error shaping) runs around it as around
graphql-core. Strawberry skips its executor when ``execution_context.result`` is set before
the hook yields (pinned: ``strawberry-graphql`` in pyproject.toml; the differential suite in
tests/plans/ reruns on every upgrade).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from resolvers.plans.catalog import Plans, record
from resolvers.plans.running import Bail


class RunPlans(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        plans: Plans | None = getattr(execution.schema, "plans", None)
        plan = None
        if plans is not None and not execution.result:
            plan = plans.for_request(execution.query, execution.operation_name)
        if plan is not None:
            try:
                data = await plan.answer(
                    execution.schema,  # type: ignore[arg-type]
                    execution.context,
                    execution.root_value,
                    execution.variables,
                )
            except Bail as bail:
                record(plan, "bailed", bail.reason)
            else:
                execution.result = GraphQLExecutionResult(data=data, errors=None)
                record(plan, "answered")
        yield

"""The plans of the trusted queries, compiled once at start-up and found by a request's text."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import FragmentDefinitionNode, OperationDefinitionNode, print_ast

from core.metrics import PLAN_EXECUTIONS
from resolvers.plans.compiler import Compiled, Compiler, Refused, verify_checks
from resolvers.plans.running import Bail, start
from services.documents import TrustedDocument

if TYPE_CHECKING:
    from resolvers.schema import MentorSchema

logger = logging.getLogger("mentor_api.plans")


@dataclass(frozen=True)
class Plan:
    """A trusted query and the steps compiled for it."""

    document: TrustedDocument
    compiled: Compiled

    async def answer(
        self,
        schema: MentorSchema,
        context: Any,
        root_value: Any,
        variables: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """The ``data`` of the answer, or ``Bail`` when graphql-core must give it."""
        run = start(schema, self.document.ast, context, root_value, variables, self.document.name)
        data: dict[str, Any] = {}
        try:
            for step in self.compiled.steps:
                step(root_value, data, None, run)
            await run.settle()
        except Bail:
            await run.abandon()
            raise
        except Exception as error:
            await run.abandon()
            raise Bail(f"the plan raised {type(error).__name__}") from error
        return data


def compile_document(schema: MentorSchema, document: TrustedDocument) -> Plan:
    """The document's plan; ``Refused`` with the reason when it cannot have one."""
    operations = [d for d in document.ast.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.ast.definitions if isinstance(d, FragmentDefinitionNode)
    }
    [operation] = operations
    compiled = Compiler(schema, operation, fragments).compile()
    verify_checks(compiled)
    return Plan(document, compiled)


class Plans:
    """Every trusted document's plan, or the reason it has none. ``enabled`` off (PLANS=0)
    runs every operation through graphql-core, as the differential suite compares."""

    def __init__(
        self,
        schema: MentorSchema,
        plans: Iterable[Plan],
        refused: dict[str, str],
        *,
        enabled: bool,
    ) -> None:
        # The schema the plans were compiled against, and run in.
        self.schema = schema
        self.compiled = {plan.document.name: plan for plan in plans}
        self.refused = refused
        self.enabled = enabled
        # A client sends a document's text as written, or as GraphQL prints it (Apollo's
        # persisted-query link); persisted hashes arrive here already turned into the text.
        self._by_text: dict[str, Plan] = {}
        for plan in self.compiled.values():
            self._by_text.setdefault(print_ast(plan.document.ast), plan)
        self._by_text.update({plan.document.text: plan for plan in self.compiled.values()})

    @classmethod
    def compile(
        cls, schema: MentorSchema, documents: Iterable[TrustedDocument], *, enabled: bool = True
    ) -> Plans:
        plans: list[Plan] = []
        refused: dict[str, str] = {}
        for document in documents:
            try:
                plans.append(compile_document(schema, document))
            except Refused as refusal:
                refused[document.name] = str(refusal)
        return cls(schema, plans, refused, enabled=enabled)

    def for_request(self, query: str | None, operation_name: str | None) -> Plan | None:
        if not self.enabled or query is None:
            return None
        plan = self._by_text.get(query)
        if plan is None or operation_name not in (None, plan.document.name):
            return None
        return plan

    @contextmanager
    def turned_off(self) -> Iterator[None]:
        """Every operation through graphql-core for a while (the differential suite)."""
        enabled, self.enabled = self.enabled, False
        try:
            yield
        finally:
            self.enabled = enabled


def record(plan: Plan, outcome: str, reason: str | None = None) -> None:
    PLAN_EXECUTIONS.labels(plan.document.name, outcome).inc()
    if reason is not None:
        logger.debug("the plan of %s bailed out: %s", plan.document.name, reason)

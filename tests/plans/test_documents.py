"""Every trusted query answers the same with its compiled plan as through graphql-core, for
every viewer and every variable set of tests/plans/variables.py, and its plan truly ran; the
README's example queries answer the same with plans on as off."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from graphql import OperationDefinitionNode, OperationType, parse

from app.keys import PLANS
from tests.access.conftest import gid
from tests.plans.differential import REFUSED_ON_PURPOSE, TRUSTED, Case, Differential
from tests.plans.variables import variable_sets
from tests.plans.world import ROLES, PlansWorld
from tests.support.documents import document

pytestmark = pytest.mark.shared_state

QUERIES = [trusted.name for trusted in TRUSTED if trusted.operation == "query"]
SHOWN_PROBLEMS = 15


def test_every_trusted_query_has_a_plan(http: TestClient[Any, Any]) -> None:
    plans = http.app[PLANS]
    refused = {name: why for name, why in plans.refused.items() if name in QUERIES}
    assert refused == REFUSED_ON_PURPOSE
    assert sorted(set(QUERIES) - set(plans.compiled)) == sorted(REFUSED_ON_PURPOSE)


@pytest.mark.parametrize("name", QUERIES)
async def test_the_plan_answers_as_graphql_core_does(
    name: str, differential: Differential, plans_world: PlansWorld
) -> None:
    text = document(name)
    problems: list[str] = []
    answered_without_errors = 0
    for variables in variable_sets(name, text, plans_world):
        for role in variables.roles:
            case = Case.of(text, variables.variables, role, variables.label)
            found, answer = await differential.compare(case)
            problems += found
            answered_without_errors += "errors" not in answer
            cursor = end_cursor(answer) if variables.then_next_page else None
            if cursor is not None:
                after = {**variables.variables, "after": cursor}
                found, _ = await differential.compare(
                    Case.of(text, after, role, f"{variables.label}, then the next page")
                )
                problems += found
    assert answered_without_errors, f"no viewer and no variables get {name} answered"
    if problems:
        pytest.fail(report(name, differential.cases, problems), pytrace=False)


README = Path(__file__).resolve().parents[2] / "README.md"
GRAPHQL_BLOCK = re.compile(r"```graphql\n(.*?)```", re.DOTALL)


def readme_queries() -> list[tuple[str, str]]:
    """(operation name, its block's text) of each query among the README's examples."""
    found = []
    for block in GRAPHQL_BLOCK.findall(README.read_text()):
        for definition in parse(block).definitions:
            is_operation = isinstance(definition, OperationDefinitionNode) and definition.name
            if is_operation and definition.operation is OperationType.QUERY:
                found.append((definition.name.value, block))
    return found


def filled(text: str, world: PlansWorld) -> str:
    """The README asks its reader to put the IDs they were answered in place of these."""
    mentor, job = gid("Mentor", world.base.mentor_profile), gid("Job", world.base.job)
    return text.replace("MENTOR_ID", mentor).replace("JOB_ID", job)


async def test_the_readme_examples_answer_as_graphql_core_does(
    differential: Differential, plans_world: PlansWorld
) -> None:
    examples = readme_queries()
    assert len(examples) >= 4, "the README's example queries are no longer found"
    problems: list[str] = []
    for name, text in examples:
        for role in ROLES:
            case = Case.of(filled(text, plans_world), {}, role, "README", operation_name=name)
            problems += (await differential.compare(case))[0]
    if problems:
        pytest.fail(report("README", differential.cases, problems), pytrace=False)


def end_cursor(answer: Any) -> str | None:
    """The first ``pageInfo.endCursor`` of an answer, if a page was answered."""
    if isinstance(answer, dict):
        cursor = answer.get("pageInfo", {}).get("endCursor") if "pageInfo" in answer else None
        if isinstance(cursor, str):
            return cursor
        values = answer.values()
    elif isinstance(answer, list):
        values = answer
    else:
        return None
    for value in values:
        found = end_cursor(value)
        if found is not None:
            return found
    return None


def report(name: str, cases: int, problems: list[str]) -> str:
    shown = "\n\n".join(problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    rest = f"\n\n... and {more} more" if more > 0 else ""
    return f"{name}: {len(problems)} difference(s) in {cases} cases\n\n{shown}{rest}"

"""Every trusted query answers the same with its compiled plan as through graphql-core, for
every viewer and every variable set of tests/plans/variables.py, and its plan truly ran."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.keys import PLANS
from tests.plans.differential import REFUSED_ON_PURPOSE, TRUSTED, Case, Differential
from tests.plans.variables import variable_sets
from tests.plans.world import PlansWorld
from tests.support.documents import document

pytestmark = pytest.mark.shared_state

QUERIES = [trusted.name for trusted in TRUSTED if trusted.operation == "query"]
SHOWN_PROBLEMS = 15


def test_every_trusted_query_has_a_plan(http: TestClient[Any, Any]) -> None:
    plans = http.app[PLANS]
    assert plans.refused == REFUSED_ON_PURPOSE
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

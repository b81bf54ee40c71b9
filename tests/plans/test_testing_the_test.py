"""Testing the test: were the compiler to drop one emitted visibility check (and, worse, claim
it had emitted it, so the compile-time proof passes), the differential suite must fail."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.keys import PLANS
from resolvers.plans import compiler, steps
from resolvers.plans.catalog import compile_document
from tests.plans.differential import TRUSTED, Case, Differential
from tests.plans.world import PlansWorld
from tests.support.documents import document

pytestmark = pytest.mark.shared_state


async def test_the_suite_fails_when_one_emitted_visibility_check_is_removed(
    http: TestClient[Any, Any],
    differential: Differential,
    plans_world: PlansWorld,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a stranger asking for a mentor's account, whose email the registry hides from them.
    case = Case.of(
        document("User"), {"id": plans_world.user_id("mentor")}, "stranger", "a mentor's account"
    )
    problems, answer = await differential.compare(case)
    assert problems == []
    assert answer["data"]["user"]["email"] is None

    # When the User plan is compiled without the check on User.email.
    emit = compiler.Compiler.checked_step

    def without_the_email_check(self: Any, key: str, *args: Any) -> Any:
        typename, read, complete, _field, checked = args
        if checked.coordinate != "User.email":
            return emit(self, key, *args)
        checked.checks.extend(checked.rules)
        return steps.value_step(key, typename, read, complete)

    monkeypatch.setattr(compiler.Compiler, "checked_step", without_the_email_check)
    plans = http.app[PLANS]
    broken = compile_document(plans.schema, TRUSTED.by_text(document("User")))
    monkeypatch.setitem(plans._by_text, document("User"), broken)

    # Then the differential comparison reports the email the plan leaked.
    problems, _ = await differential.compare(case)
    assert len(problems) == 1
    assert "bodies differ" in problems[0]
    assert plans_world.people["mentor"].user.email in problems[0]

"""The promise map: every promise of the policy is proven by at least one marked test."""

from __future__ import annotations

import pytest

from tests.support.promises import AWAITING, MAP_PATH, PROMISES, proofs, render


def test_every_marker_names_a_promise_of_the_policy() -> None:
    unknown = set(proofs()) - set(PROMISES)
    assert not unknown, f"markers name promises the policy does not make: {sorted(unknown)}"


@pytest.mark.parametrize("promise_id", [p for p in PROMISES if p not in AWAITING])
def test_promise_is_proven_by_a_test(promise_id: str) -> None:
    assert proofs().get(promise_id), f"no test carries promise('{promise_id}')"


def test_a_promise_awaiting_work_leaves_the_list_once_a_test_proves_it() -> None:
    proven = sorted(set(AWAITING) & set(proofs()))
    assert not proven, f"proven now, remove from AWAITING: {proven}"


def test_the_checked_in_map_is_current() -> None:
    assert MAP_PATH.read_text() == render(proofs()), (
        "docs/promise-map.md is stale: .venv/bin/python -m tests.support.promises "
        "> docs/promise-map.md"
    )

"""The promise-to-test map: every kept promise is proven by at least one marked test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.promises import KEPT, PROMISES

TESTS = Path(__file__).resolve().parent


def marked_promises() -> dict[str, list[str]]:
    """Promise id -> test files whose ``pytest.mark.promise(...)`` names it (read statically)."""
    found: dict[str, list[str]] = {}
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "promise"
            ):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.setdefault(arg.value, []).append(path.name)
    return found


def test_every_marker_names_a_promise_of_the_policy() -> None:
    unknown = set(marked_promises()) - set(PROMISES)
    assert not unknown, f"markers name promises the policy does not make: {sorted(unknown)}"


@pytest.mark.parametrize("promise_id", sorted(KEPT, key=lambda p: int(p[1:])))
def test_kept_promise_is_proven_by_a_test(promise_id: str) -> None:
    assert promise_id in marked_promises(), f"no test carries promise('{promise_id}')"

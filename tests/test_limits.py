"""Every limit has its reason, and the README's table is the limits module's own."""

from __future__ import annotations

import re
from pathlib import Path

from core import limits

README = Path(__file__).resolve().parent.parent / "README.md"
TABLE = re.compile(r"<!-- limits: [^>]*-->\n(.*?)<!-- /limits -->", re.DOTALL)


def test_the_readme_limits_table_is_current() -> None:
    found = TABLE.search(README.read_text())
    assert found, "README.md lost its limits table markers"
    assert found.group(1) == limits.markdown_table(), (
        "README's limits table is stale: put `mentor-api limits` between its markers"
    )


def test_every_limit_says_what_it_bounds_and_why() -> None:
    documented = limits.documented()
    names = {name for name in vars(limits) if name.startswith(("MAX_", "MIN_"))}
    assert names <= {limit.name for limit in documented}
    assert all(limit.why.bounds and limit.why.reason for limit in documented)

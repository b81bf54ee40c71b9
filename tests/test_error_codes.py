"""Every code the API can return is one documented set: the ``ErrorCode`` enum, each value
described in the schema and listed with the same words in the README's table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.errors import ErrorCode
from tests.support.graphql import GraphQLClient

SOURCES = ("app", "core", "resolvers", "services")
TABLE = re.compile(r"<!-- error-codes -->\n(.*?)<!-- /error-codes -->", re.DOTALL)
ROW = re.compile(r"^\| `([A-Z_]+)` \| (.+) \|$", re.MULTILINE)
ERROR_CODE = """
{ __type(name: "ErrorCode") { description enumValues { name description } } }
"""


def codes_the_code_returns(root: Path) -> set[str]:
    """Every ``ErrorCode.NAME`` the code base names, but as a key of a mapping (the enum's
    descriptions name them all), and every literal ``"code": "..."``."""
    named: set[str] = set()
    for package in SOURCES:
        for path in (root / package).rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            keys = [node for node in ast.walk(tree) if isinstance(node, ast.Dict)]
            described = {id(key) for mapping in keys for key in mapping.keys}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "ErrorCode"
                    and id(node) not in described
                ):
                    named.add(node.attr)
            for mapping in keys:
                for key, value in zip(mapping.keys, mapping.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        named.add(value.value)
    return named


async def test_every_code_is_described_in_the_schema_and_the_readme(
    graphql: GraphQLClient, repo_root: Path
) -> None:
    enum = (await graphql.data(ERROR_CODE))["__type"]
    in_schema = {value["name"]: value["description"] for value in enum["enumValues"]}
    table = TABLE.search((repo_root / "README.md").read_text())
    assert table is not None, "the README has no error-codes table"
    in_readme = dict(ROW.findall(table.group(1)))

    returned = codes_the_code_returns(repo_root)
    assert returned - {code.value for code in ErrorCode} == set(), "returned but not in ErrorCode"
    assert {code.value for code in ErrorCode} - returned == set(), "in ErrorCode, never returned"
    assert enum["description"]
    assert [name for name, description in in_schema.items() if not description] == []
    assert set(in_schema) == returned
    # The README says what the schema says, word for word.
    assert in_readme == in_schema

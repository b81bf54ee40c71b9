"""The checked-in SDL is what the code serves, and every operation document fits it."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from app.cli import SCHEMA_PATH, export_schema_sdl
from tests.support.documents import DOCUMENTS_DIR

DOCUMENTS = sorted(DOCUMENTS_DIR.glob("*.graphql"))
README_OPERATIONS = {
    "SignUp",
    "LogIn",
    "Me",
    "LogOut",
    "UpdateProfile",
    "ChangePassword",
    "RequestPasswordReset",
    "ResetPassword",
    "VerifyEmail",
    "User",
}


@pytest.fixture(scope="module")
def served_schema() -> GraphQLSchema:
    return build_schema(export_schema_sdl())


def test_schema_graphql_is_current() -> None:
    assert SCHEMA_PATH.read_text() == export_schema_sdl(), (
        "schema.graphql is stale: run `mentor-api export-schema` and commit the result"
    )


def test_every_readme_operation_has_a_document() -> None:
    missing = README_OPERATIONS - {path.stem for path in DOCUMENTS}
    assert missing == set(), f"add graphql/<Name>.graphql for {sorted(missing)}"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_document_is_one_named_operation_valid_against_the_schema(
    path: Path, served_schema: GraphQLSchema
) -> None:
    document = parse(path.read_text())
    assert [op.name.value for op in document.definitions if op.name] == [path.stem]
    assert validate(served_schema, document) == []

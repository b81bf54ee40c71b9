"""Compiling trusted queries: which are compiled, what is refused and why, and the proof that
every field with a visibility rule got its check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import print_ast

from resolvers.permissions import RegistryVisibility
from resolvers.plans import compiler, steps
from resolvers.plans.catalog import Plans
from resolvers.schema import MentorSchema, build_schema
from services.documents import DOCUMENTS_DIR, TrustedDocuments, load_checked, read_document
from tests.test_cli import run_cli

CHECKOUT = {"PYTHONPATH": str(DOCUMENTS_DIR.parent)}


@pytest.fixture(scope="module")
def schema() -> MentorSchema:
    return build_schema()


def plans_of(schema: MentorSchema, tmp_path: Path, **texts: str) -> Plans:
    for name, text in texts.items():
        (tmp_path / f"{name}.graphql").write_text(text)
    return Plans.compile(schema, TrustedDocuments.load(tmp_path))


def test_mentor_api_plans_lists_every_trusted_query_compiled(tmp_path: Path) -> None:
    listed = run_cli("plans", env=CHECKOUT, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = dict(line.split(None, 1) for line in listed.stdout.splitlines()[:-1])
    documents = TrustedDocuments.load(DOCUMENTS_DIR)
    queries = {doc.name for doc in documents if doc.operation == "query"}
    assert len(queries) >= 40
    assert {name for name, state in lines.items() if state == "compiled"} == queries
    assert lines["LogIn"] == "a mutation: only queries are compiled"
    assert lines["Notifications"] == "compiled"
    assert listed.stdout.splitlines()[-1] == (
        f"{len(queries)} compiled, {len(documents) - len(queries)} without a plan"
    )


def test_mentor_api_plans_show_prints_each_field_and_its_check(tmp_path: Path) -> None:
    shown = run_cli("plans", "--show", "Mentors", env=CHECKOUT, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert lines[0] == "Query.mentors  (resolver mentors)"
    assert "Testimonial.text  (attribute)  check registry Testimonial.text" in lines
    # The registry makes a mentor's headline public: no check, so none is paid for.
    assert "Mentor.headline  (attribute)" in lines
    missing = run_cli("plans", "--show", "LogIn", env=CHECKOUT, cwd=tmp_path)
    assert missing.returncode == 1
    assert "LogIn has no plan: a mutation: only queries are compiled" in missing.stderr


def test_what_the_compiler_does_not_know_is_refused_with_the_reason(
    schema: MentorSchema, tmp_path: Path
) -> None:
    plans = plans_of(
        schema,
        tmp_path,
        Node="query Node($id: ID!) { node(id: $id) { id } }",
        Skipped="query Skipped($yes: Boolean!) { me { id @include(if: $yes) } }",
        Typed="query Typed { __schema { queryType { name } } }",
        Fine="query Fine { mentors(first: 1) { edges { node { id @skip(if: false) } } } }",
    )
    assert plans.refused == {
        "Node": "Query.node returns the abstract type Node",
        "Skipped": "@include with a variable",
        "Typed": "the introspection field __schema",
    }
    assert list(plans.compiled) == ["Fine"]


def test_a_plan_that_would_read_a_ruled_field_without_its_check_is_refused(
    schema: MentorSchema, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compile-time proof: were the compiler to forget a rule, the plan is not run."""
    emit = compiler.Compiler.checked_step

    def forgetting_the_text_rule(self: Any, key: str, *args: Any) -> Any:
        typename, read, complete, strawberry_field, checked = args
        rules = strawberry_field.extensions
        if checked.coordinate == "Testimonial.text":
            assert isinstance(rules[0], RegistryVisibility)
            return steps.value_step(key, typename, read, complete)
        return emit(self, key, *args)

    monkeypatch.setattr(compiler.Compiler, "checked_step", forgetting_the_text_rule)
    plans = Plans.compile(schema, load_checked(DOCUMENTS_DIR, schema._schema))
    assert plans.refused["Mentors"] == (
        "Testimonial.text has the rule RegistryVisibility and the plan no check"
    )
    assert "Mentors" not in plans.compiled


def test_a_document_is_found_by_its_text_and_by_its_printed_form(schema: MentorSchema) -> None:
    document = read_document(DOCUMENTS_DIR / "Mentors.graphql")
    plans = Plans.compile(schema, [document])
    assert plans.for_request(document.text, None) is plans.compiled["Mentors"]
    assert plans.for_request(print_ast(document.ast), "Mentors") is plans.compiled["Mentors"]
    assert plans.for_request(document.text, "Other") is None
    assert plans.for_request(document.text + " ", None) is None
    with plans.turned_off():
        assert plans.for_request(document.text, None) is None
    assert plans.for_request(document.text, None) is not None

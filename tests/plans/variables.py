"""Variables for each trusted query, generated from its variable definitions: valid ones (the
defaults, rows of the world for IDs and filters, every enum value, page sizes that give a full
page, a next page and the empty page after the last) and invalid ones (wrong types, an Int out
of range, bad cursors, a missing required variable, null for a non-null one, unknown enum
values, input objects with unknown or missing fields)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    VariableDefinitionNode,
    build_schema,
    parse,
    type_from_ast,
)

from core import clock
from tests.access.conftest import gid
from tests.plans.world import (
    ABSENT_ROW,
    INVALID_VARIABLES_ROLES,
    ROLES,
    VARIATION_ROLES,
    PlansWorld,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"
# A page of one is full whenever the list holds two rows; a hundred is the most a page holds.
FULL_PAGE, LARGEST_PAGE = 1, 100
# Past Int's 32 bits: above, the cost limit refuses it before it is looked at; below, it
# does not coerce.
INT_OUT_OF_RANGE = (2**31, -(2**31) - 1)
# Not a cursor of ours: not base64, and base64 of a cursor of strawberry's default shape.
BAD_CURSORS = ("not a cursor", "YXJyYXljb25uZWN0aW9uOjA=")
# A value of the wrong JSON type for each named input type.
WRONG_TYPES: dict[str, Any] = {
    "Int": "one",
    "String": 7,
    "ID": True,
    "Boolean": "yes",
    "Date": 20260101,
    "DateTime": False,
}


@dataclass(frozen=True)
class VariableSet:
    label: str
    variables: dict[str, Any]
    # who asks with them
    roles: tuple[str, ...]
    # Ask once more with `after` set to this answer's endCursor (a next page, or the empty
    # page after the last).
    then_next_page: bool = False


@dataclass(frozen=True)
class Definition:
    name: str
    type: GraphQLInputType
    has_default: bool

    @property
    def required(self) -> bool:
        return isinstance(self.type, GraphQLNonNull) and not self.has_default

    @property
    def named(self) -> Any:
        return self.type.of_type if isinstance(self.type, GraphQLNonNull) else self.type


Seeded = Callable[[PlansWorld], list[tuple[str, Any]]]


def _today(days: int = 0) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


# Values from the world for the variables no generic value fits, the first being the one the
# other sets use: (label, value), by document and variable.
SEEDED: dict[tuple[str, str], Seeded] = {
    ("Job", "id"): lambda w: [
        ("the world's job", gid("Job", w.base.job)),
        ("the client's job with another mentor", gid("Job", w.other_job)),
        ("a job of a former mentor", gid("Job", _Row(w.base.former_story.job_id))),
        ("a user's ID", w.user_id("client")),
        ("an absent job", gid("Job", _Row(ABSENT_ROW))),
    ],
    ("Mentor", "id"): lambda w: [
        ("the world's mentor", gid("Mentor", w.base.mentor_profile)),
        ("a mentor who set nothing", gid("Mentor", w.other_profile)),
        ("a deactivated mentor", gid("Mentor", w.base.gone_profile)),
        ("a post's ID", gid("Post", w.base.published)),
        ("an absent mentor", gid("Mentor", _Row(ABSENT_ROW))),
    ],
    ("Post", "id"): lambda w: [
        ("a published post", gid("Post", w.base.published)),
        ("a draft", gid("Post", w.base.draft)),
        ("a former mentor's post", gid("Post", w.base.former_post)),
        ("an absent post", gid("Post", _Row(ABSENT_ROW))),
    ],
    ("User", "id"): lambda w: [
        ("the client", w.user_id("client")),
        ("a mentor", w.user_id("mentor")),
        ("a mentor who set nothing", w.user_id("other_mentor")),
        ("a staff member", w.user_id("pii_staff")),
        ("a deactivated mentor", gid("User", w.base.people["gone"].user)),
        ("an absent user", gid("User", _Row(ABSENT_ROW))),
    ],
    ("Testimonials", "mentorId"): lambda w: [
        ("the world's mentor", gid("Mentor", w.base.mentor_profile)),
        ("a mentor who set nothing", gid("Mentor", w.other_profile)),
        ("a deactivated mentor", gid("Mentor", w.base.gone_profile)),
    ],
    ("Payments", "userId"): lambda w: [
        ("the client", w.user_id("client")),
        ("a stranger", w.user_id("stranger")),
    ],
    ("Analytics", "range"): lambda w: [
        ("the last 30 days", {"from": _today(-30), "to": _today()}),
        ("today", {"from": _today(), "to": _today()}),
        ("backwards", {"from": _today(), "to": _today(-30)}),
    ],
    ("Mentors", "filter"): lambda w: [
        ("by text", {"search": "Mia"}),
        ("by expertise", {"expertise": "py"}),
        ("by language", {"language": "en"}),
        ("from a rate", {"minHourlyRate": {"amountCents": 1000, "currency": "EUR"}}),
        (
            "rates in two currencies",
            {
                "minHourlyRate": {"amountCents": 1000, "currency": "EUR"},
                "maxHourlyRate": {"amountCents": 9000, "currency": "USD"},
            },
        ),
    ],
    ("Posts", "filter"): lambda w: [
        ("by author", {"author": gid("Mentor", w.base.mentor_profile)}),
        ("by tag", {"tag": "PY"}),
        ("by an unused tag", {"tag": "cobol"}),
        ("by a user's ID as author", {"author": w.user_id("mentor")}),
    ],
    ("Users", "filter"): lambda w: [
        ("by email", {"email": w.people["client"].user.email}),
        ("by name", {"name": "carla"}),
        ("by permission", {"staffPermission": "SECURITY"}),
    ],
    ("AuditLog", "filter"): lambda w: [
        ("by action", {"action": "LOGIN"}),
        ("by actor", {"actorId": w.user_id("client")}),
        ("up to now", {"to": clock.now().isoformat()}),
        ("by a post's ID as actor", {"actorId": gid("Post", w.base.published)}),
    ],
}


@dataclass(frozen=True)
class _Row:
    """A row that does not exist, for its global ID."""

    pk: int


@cache
def schema() -> GraphQLSchema:
    """The exported SDL, which a test keeps equal to what the app serves."""
    return build_schema(SCHEMA_FILE.read_text())


def definitions(text: str) -> list[Definition]:
    [operation] = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    return [_definition(node) for node in operation.variable_definitions or ()]


def _definition(node: VariableDefinitionNode) -> Definition:
    graphql_type = type_from_ast(schema(), node.type)
    assert graphql_type is not None, node.variable.name.value
    return Definition(
        node.variable.name.value,
        graphql_type,  # type: ignore[arg-type]
        has_default=node.default_value is not None,
    )


def variable_sets(document: str, text: str, world: PlansWorld) -> list[VariableSet]:
    """Every valid set, then every invalid one, for ``document`` (its text is ``text``)."""
    declared = definitions(text)
    seeded = {d.name: SEEDED[(document, d.name)](world) for d in declared if _seeded(document, d)}
    base = {d.name: _first_value(d, seeded) for d in declared if d.required}
    pages = "endCursor" in text
    sets = [VariableSet("the defaults", base, ROLES)]
    for definition in declared:
        # Whose row an ID names matters to every viewer; other values, to a few.
        roles = ROLES if definition.named.name == "ID" else VARIATION_ROLES
        for label, value in _valid_values(definition, seeded):
            sets.append(
                VariableSet(
                    f"{definition.name}: {label}",
                    {**base, definition.name: value},
                    roles,
                    then_next_page=pages and definition.name == "first" and value in (1, 100),
                )
            )
    nullable = [d.name for d in declared if not isinstance(d.type, GraphQLNonNull)]
    if nullable:
        every_null = {**base, **dict.fromkeys(nullable)}
        sets.append(VariableSet("every nullable one null", every_null, VARIATION_ROLES))
    sets.append(
        VariableSet("an undeclared one besides", {**base, "undeclared": 1}, VARIATION_ROLES)
    )
    for definition in declared:
        for label, value in _invalid_values(definition):
            variables = {**base, definition.name: value}
            if value is _MISSING:
                del variables[definition.name]
            sets.append(
                VariableSet(f"{definition.name}: {label}", variables, INVALID_VARIABLES_ROLES)
            )
    return sets


def _seeded(document: str, definition: Definition) -> bool:
    named = definition.named
    generic = named.name in WRONG_TYPES or isinstance(named, GraphQLEnumType)
    if (document, definition.name) not in SEEDED:
        assert generic, f"{document} ${definition.name}: add its values to SEEDED"
        return False
    return True


def _first_value(definition: Definition, seeded: dict[str, list[tuple[str, Any]]]) -> Any:
    if definition.name in seeded:
        return seeded[definition.name][0][1]
    named = definition.named
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    raise AssertionError(f"${definition.name} is required: add its values to SEEDED")


def _valid_values(
    definition: Definition, seeded: dict[str, list[tuple[str, Any]]]
) -> list[tuple[str, Any]]:
    named = definition.named
    if definition.name in seeded:
        return seeded[definition.name][1:] if definition.required else seeded[definition.name]
    if isinstance(named, GraphQLEnumType):
        values = list(named.values)
        return [(value, value) for value in (values[1:] if definition.required else values)]
    if named.name == "Boolean":
        return [("true", True), ("false", False)]
    if named.name == "Int":
        return [("0", 0), ("a full page", FULL_PAGE), ("the largest page", LARGEST_PAGE)]
    return []


_MISSING = object()


def _invalid_values(definition: Definition) -> list[tuple[str, Any]]:
    named = definition.named
    found: list[tuple[str, Any]] = []
    if definition.required:
        found += [("missing", _MISSING), ("null", None)]
    if isinstance(named, GraphQLEnumType):
        found += [("an unknown enum value", "NOT_A_VALUE"), ("a number", 1)]
    elif isinstance(named, GraphQLInputObjectType):
        found += [("a string", "everything"), ("an unknown field", {"unknownField": 1})]
        found += [(f"without {name}", {}) for name, f in named.fields.items() if _required(f)]
    else:
        found.append(("a wrong type", WRONG_TYPES[named.name]))
    if named.name == "Int":
        found += [(f"out of range ({value})", value) for value in INT_OUT_OF_RANGE]
        found += [("negative", -1), ("past the largest", 101), ("a float", 1.5)]
    if definition.name in ("after", "before"):
        found += [(f"a bad cursor {cursor!r}", cursor) for cursor in BAD_CURSORS]
    if named.name == "ID":
        found.append(("not a global ID", "not a global ID"))
    return found


def _required(input_field: Any) -> bool:
    return isinstance(input_field.type, GraphQLNonNull) and input_field.default_value is Undefined

"""The served schema keeps the conventions a client developer can rely on.

Each mutation ``x`` answers with its own ``XPayload`` (``errors`` and the objects it acted on)
and takes everything in one ``input: XInput!`` of its own, or nothing at all when there is
nothing to take; so any one mutation can grow without changing another. Money is always a
``Money`` or ``MoneyInput``, never a bare number whose currency a client must guess.
"""

from __future__ import annotations

import re

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_introspection_type,
)

from resolvers.schema import build_schema

MONEY_NAME = re.compile(r"(cents|price|rate|amount)$", re.IGNORECASE)
MONEY_TYPES = {"Money", "MoneyInput"}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def _capitalized(name: str) -> str:
    return name[0].upper() + name[1:]


def test_every_mutation_has_its_own_input_and_payload(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    wrong: list[str] = []
    payloads: dict[str, str] = {}
    inputs: dict[str, str] = {}
    for name, field in schema.mutation_type.fields.items():
        payload = f"{_capitalized(name)}Payload"
        if str(field.type) != f"{payload}!":
            wrong.append(f"{name} returns {field.type}, not {payload}!")
        payloads.setdefault(str(field.type), name)
        arguments = {arg_name: str(arg.type) for arg_name, arg in field.args.items()}
        expected = f"{_capitalized(name)}Input!"
        if arguments not in ({}, {"input": expected}):
            wrong.append(f"{name} takes {arguments}, not (input: {expected})")
        for type_name in arguments.values():
            if inputs.setdefault(type_name, name) != name:
                wrong.append(f"{name} shares {type_name} with {inputs[type_name]}")
    assert wrong == []


def test_every_payload_carries_typed_errors(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    without = [
        name
        for name, field in schema.mutation_type.fields.items()
        if "errors" not in get_named_type(field.type).fields  # type: ignore[union-attr]
        or str(get_named_type(field.type).fields["errors"].type)  # type: ignore[union-attr]
        != "[MutationError!]!"
    ]
    assert without == []


def test_payload_and_input_types_serve_one_mutation(schema: GraphQLSchema) -> None:
    assert schema.mutation_type is not None
    served = {
        get_named_type(t).name
        for field in schema.mutation_type.fields.values()
        for t in [field.type, *(arg.type for arg in field.args.values())]
    }
    strays = [
        name
        for name in schema.type_map
        if name.endswith("Payload") and name not in served and not name.startswith("__")
    ]
    assert strays == [], f"payload types no mutation answers with: {strays}"


def test_money_is_never_a_bare_number(schema: GraphQLSchema) -> None:
    """A field or argument named like an amount (``…Cents``, ``…Price``, ``…Rate``,
    ``…Amount``) is a Money or MoneyInput."""
    named_like_money: list[tuple[str, GraphQLNamedType]] = []
    for type_ in schema.type_map.values():
        if is_introspection_type(type_) or type_.name in MONEY_TYPES:
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for name, field in type_.fields.items():
                named_like_money.append((f"{type_.name}.{name}", get_named_type(field.type)))
                for arg_name, argument in getattr(field, "args", {}).items():
                    element = f"{type_.name}.{name}({arg_name}:)"
                    named_like_money.append((element, get_named_type(argument.type)))
    bare = [
        f"{element}: {named.name}"
        for element, named in named_like_money
        if MONEY_NAME.search(element.rstrip(":)")) and named.name not in MONEY_TYPES
    ]
    assert bare == []


def test_money_input_requires_both_parts(schema: GraphQLSchema) -> None:
    money_input = schema.type_map["MoneyInput"]
    assert isinstance(money_input, GraphQLInputObjectType)
    assert {name: isinstance(f.type, GraphQLNonNull) for name, f in money_input.fields.items()} == {
        "amountCents": True,
        "currency": True,
    }

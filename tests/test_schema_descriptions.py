"""Every element of the served schema tells a client developer what it is.

A type, field, argument, input field or enum value without a description fails, and so does
a description that names internal bookkeeping (promise or issue numbers) a client cannot look
up. Elements are named as a client sees them: ``Type``, ``Type.field``,
``Type.field(argument:)``, ``Input.field``, ``Enum.VALUE``, ``@directive``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    is_introspection_type,
    is_specified_directive,
    is_specified_scalar_type,
)

from resolvers.schema import build_schema

# Owned by the parts of the same change that define error codes and cursors; the merge of
# those parts removes this constant, and then nothing is exempt.
OWNED_ELSEWHERE_UNTIL_MERGE = (
    re.compile(r"ErrorCode\.\w+"),
    re.compile(r"\w+(Connection|Edge)(\..+)?"),
    re.compile(r"PageInfo(\..+)?"),
    re.compile(r".+\((first|after|last|before):\)"),
)
INTERNAL_IDS = re.compile(r"\(P\d+\)|\bP\d{1,2}\b|\bissue \d+", re.IGNORECASE)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def _arguments(owner: str, arguments: dict[str, GraphQLArgument]) -> Iterator[tuple[str, str]]:
    for name, argument in arguments.items():
        yield f"{owner}({name}:)", argument.description or ""


def elements(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """Every element a client developer reads, by name, with its description ('' if none)."""
    for type_ in schema.type_map.values():
        if is_introspection_type(type_) or is_specified_scalar_type(type_):
            continue
        yield type_.name, type_.description or ""
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in type_.fields.items():
                yield f"{type_.name}.{name}", field.description or ""
                yield from _arguments(f"{type_.name}.{name}", field.args)
        elif isinstance(type_, GraphQLInputObjectType):
            for name, input_field in type_.fields.items():
                yield f"{type_.name}.{name}", input_field.description or ""
        elif isinstance(type_, GraphQLEnumType):
            for name, value in type_.values.items():
                yield f"{type_.name}.{name}", value.description or ""
    # A schema directive's own description names its arguments: Strawberry drops theirs.
    for directive in schema.directives:
        if not is_specified_directive(directive):
            yield f"@{directive.name}", directive.description or ""


def edge_descriptions_shared(schema: GraphQLSchema) -> Iterator[str]:
    """Edge types whose description another Edge type has word for word."""
    edges = [t for t in schema.type_map.values() if t.name.endswith("Edge")]
    for edge in edges:
        if any(o is not edge and o.description == edge.description for o in edges):
            yield edge.name


def _owned_elsewhere(element: str) -> bool:
    return any(pattern.fullmatch(element) for pattern in OWNED_ELSEWHERE_UNTIL_MERGE)


def test_every_element_is_described(schema: GraphQLSchema) -> None:
    undescribed = [
        name
        for name, description in elements(schema)
        if not description.strip() and not _owned_elsewhere(name)
    ]
    assert undescribed == [], f"describe these for client developers: {undescribed}"


def test_no_description_names_internal_ids(schema: GraphQLSchema) -> None:
    leaking = [
        f"{name}: {description!r}"
        for name, description in elements(schema)
        if INTERNAL_IDS.search(description) and not _owned_elsewhere(name)
    ]
    assert leaking == [], f"descriptions naming internal ids: {leaking}"


def test_every_edge_type_has_its_own_description(schema: GraphQLSchema) -> None:
    shared = [name for name in edge_descriptions_shared(schema) if not _owned_elsewhere(name)]
    assert shared == [], f"Edge types sharing one description: {shared}"

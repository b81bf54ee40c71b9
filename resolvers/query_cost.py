"""What an operation costs, read from its document and variables before anything runs.

The model (GitHub's and Shopify's): a field that answers an object costs 1, a scalar 0; a
connection's lists (its ``edges``) count once per item its ``first`` or ``last`` asks for
(``MAX_PAGE_SIZE`` when neither is given), and what they select inside is multiplied with
them, so nested pages multiply. Fragments and inline fragments count as if written out. A
field whose work costs more says so beside its declaration: ``metadata=costs(10)``.

``actual_cost`` prices the answer the same way, with each page counted by the items it
held; plain lists (a few consent purposes, the configured providers) count once in both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.type import GraphQLNamedType, GraphQLObjectType
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.schema.schema_converter import GraphQLCoreConverter

from core import limits

COST = "cost"
PAGE_ARGUMENTS = ("first", "last")


@dataclass(frozen=True)
class FieldCost:
    """The points a field costs itself, and those an argument adds when it is given."""

    points: int = 1
    when_given: Mapping[str, int] = field(default_factory=dict)


def costs(points: int, *, when_given: Mapping[str, int] | None = None) -> dict[str, FieldCost]:
    """A field's ``metadata`` declaring its cost: ``points`` instead of 1, plus each of
    ``when_given``'s points whose argument the operation gives (a dotted path into an input
    names one of its fields: ``{"filter.search": 20}``)."""
    return {COST: FieldCost(points, dict(when_given or {}))}


def _declared(definition: GraphQLField) -> FieldCost | None:
    strawberry_field = (definition.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    metadata = getattr(strawberry_field, "metadata", None) or {}
    declared = metadata.get(COST)
    return declared if isinstance(declared, FieldCost) else None


@dataclass(frozen=True)
class _Facts:
    """What pricing needs to know of a field, read once from the schema."""

    named: GraphQLNamedType
    composite: bool
    listed: bool
    connection: bool
    declared: FieldCost | None


# By the field's id, with the field itself to tell a reused id (GraphQLField is unhashable).
_FACTS: dict[int, tuple[GraphQLField, _Facts]] = {}


def _facts(definition: GraphQLField) -> _Facts:
    known = _FACTS.get(id(definition))
    if known is not None and known[0] is definition:
        return known[1]
    named = get_named_type(definition.type)
    facts = _Facts(
        named=named,
        composite=is_composite_type(named),
        listed=is_list_type(get_nullable_type(definition.type)),
        connection=all(name in definition.args for name in PAGE_ARGUMENTS),
        declared=_declared(definition),
    )
    _FACTS[id(definition)] = (definition, facts)
    return facts


def _definition(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema":
        return SchemaMetaFieldDef
    if name == "__type":
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields else None


class _Operation:
    """One operation of a document, with its fragments and its variables' values."""

    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.operation = get_operation_ast(document, operation_name)
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.variables: dict[str, Any] = {}
        if self.operation is not None:
            for declared in self.operation.variable_definitions or ():
                if declared.default_value is not None:
                    default = value_from_ast_untyped(declared.default_value)
                    self.variables[declared.variable.name.value] = default
        self.variables.update(variables or {})

    @property
    def root(self) -> GraphQLObjectType | None:
        if self.operation is None:
            return None
        return self.schema.get_root_type(self.operation.operation)

    def fields(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode
    ) -> Iterator[tuple[GraphQLNamedType, FieldNode]]:
        """Every field selected, through fragments, with the type it is selected on."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield parent, selection
                continue
            condition: NamedTypeNode | None
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, inner = selection.type_condition, selection.selection_set
            on = self.schema.get_type(condition.name.value) if condition else parent
            yield from self.fields(on or parent, inner)

    def argument(self, node: FieldNode, path: str) -> Any:
        """The value an argument (or, by a dotted path, a field of an input) was given."""
        name, *inside = path.split(".")
        given = next((a for a in node.arguments or () if a.name.value == name), None)
        value = value_from_ast_untyped(given.value, self.variables) if given else None
        for key in inside:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def own_points(self, facts: _Facts, node: FieldNode) -> int:
        declared = facts.declared
        if declared is None:
            return 1
        extra = sum(
            points
            for path, points in declared.when_given.items()
            if self.argument(node, path) not in (None, "")
        )
        return declared.points + extra

    def page_size(self, facts: _Facts, node: FieldNode) -> int | None:
        """A connection's page size as asked; None for a field that is not a connection."""
        if not facts.connection:
            return None
        for name in PAGE_ARGUMENTS:
            size = self.argument(node, name)
            if isinstance(size, int) and not isinstance(size, bool):
                return max(0, size)
        return limits.MAX_PAGE_SIZE


class _Requested(_Operation):
    def cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, page: int | None
    ) -> int:
        """``page``: the page size of the connection these fields are on, or None."""
        total = 0
        for on, node in self.fields(parent, selection_set):
            definition = _definition(on, node.name.value)
            if definition is None:
                continue
            facts = _facts(definition)
            if not facts.composite:
                continue
            inner = 0
            if node.selection_set is not None:
                size = self.page_size(facts, node)
                inner = self.cost(facts.named, node.selection_set, size)
            points = self.own_points(facts, node) + inner
            total += page * points if page is not None and facts.listed else points
        return total


@dataclass(frozen=True)
class _Priced:
    """A field an answer's objects may hold, priced once per selection set. ``flat``: it
    selects no composite field itself, so whatever it holds costs nothing more."""

    key: str
    facts: _Facts
    own: int
    node: FieldNode
    flat: bool


class _Actual(_Operation):
    """Prices an answer by walking it; what a selection set asks is read once, not again for
    every object of a page (a heaviest page holds thousands)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.plans: dict[tuple[int, int], list[_Priced]] = {}

    def plan(self, parent: GraphQLNamedType, selection_set: SelectionSetNode) -> list[_Priced]:
        """The composite fields of a selection set, each answer key once (the first field
        selected under it counts)."""
        known = self.plans.get((id(parent), id(selection_set)))
        if known is not None:
            return known
        priced, counted = [], set()
        for on, node in self.fields(parent, selection_set):
            key = node.alias.value if node.alias else node.name.value
            definition = _definition(on, node.name.value)
            if key in counted or definition is None:
                continue
            counted.add(key)
            facts = _facts(definition)
            if facts.composite:
                inner = node.selection_set
                flat = inner is None or not self.plan(facts.named, inner)
                priced.append(_Priced(key, facts, self.own_points(facts, node), node, flat))
        self.plans[(id(parent), id(selection_set))] = priced
        return priced

    def cost(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, data: Any, paged: bool
    ) -> int:
        """``data``: the answer's object for these fields; ``paged``: it is a connection."""
        if not isinstance(data, dict):
            return 0
        total = 0
        for field_ in self.plan(parent, selection_set):
            if field_.key not in data:
                continue
            facts, node, value = field_.facts, field_.node, data[field_.key]
            if field_.flat:
                # Each item costs its own points alone (a page's nodes of scalars).
                held = len(value) if isinstance(value, list) else 1
                total += field_.own * (held if paged or held == 0 else 1)
                continue
            if not isinstance(value, list):
                total += field_.own + self.inner(facts.named, node, value, facts.connection)
                continue
            items = [
                field_.own + self.inner(facts.named, node, item, facts.connection) for item in value
            ]
            total += sum(items) if paged else max(items, default=0)
        return total

    def inner(self, named: GraphQLNamedType, node: FieldNode, value: Any, paged: bool) -> int:
        if node.selection_set is None or value is None:
            return 0
        return self.cost(named, node.selection_set, value, paged)


def requested_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation a validated document names, with these variables."""
    walk = _Requested(schema, document, operation_name, variables)
    root = walk.root
    if root is None or walk.operation is None:
        return 0
    return walk.cost(root, walk.operation.selection_set, None)


def actual_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    data: Any,
) -> int:
    """The cost of what an answer holds: each page counted by the items it returned."""
    walk = _Actual(schema, document, operation_name, variables)
    root = walk.root
    if root is None or walk.operation is None:
        return 0
    return walk.cost(root, walk.operation.selection_set, data, False)

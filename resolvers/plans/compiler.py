"""Compiling a trusted query into a plan: a tree of closures specialised for its one selection.

Each field of the document becomes one step that reads its value (an attribute for a field
with no resolver, the resolver itself otherwise, with its arguments converted once per
request), applies the field's visibility rule by calling the same decision code the schema's
field extension calls (``Access.field_now`` / ``may_read``, ``opens_rows_of``), and completes
the value for its GraphQL type (scalars by their own output coercion, objects by the steps of
their selection, lists item by item). A field with no rule gets no check.

The world is closed: whatever the compiler does not know (a mutation, an abstract type, a
directive whose value is a variable, a field extension or type check it has not been taught)
refuses the document with the reason, and graphql-core runs it as before. ``verify_checks``
then proves that every field carrying a visibility rule got its check. The closures
themselves are in ``resolvers.plans.steps``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_argument_values,
)
from graphql.pyutils import Path
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from resolvers.nodes import ModelNode
from resolvers.permissions import RegistryVisibility, RowsOf
from resolvers.plans.running import Complete, Run
from resolvers.plans.steps import (
    Reader,
    Step,
    TypeCheck,
    leaf,
    list_of,
    non_null,
    object_of,
    registry_step,
    rows_of_step,
    value_step,
)

if TYPE_CHECKING:
    from resolvers.schema import MentorSchema


class Refused(Exception):
    """The compiler does not know something this document uses: it runs through graphql-core."""


@dataclass
class CheckedField:
    """One field the plan reads: how, and what it does about the field's visibility rules
    (``verify_checks``; ``mentor-api plans --show`` prints them)."""

    key: str
    coordinate: str
    depth: int
    rules: list[object]
    read: str
    checks: list[object] = field(default_factory=list)

    def describe(self) -> str:
        checks = "".join(f"  check {describe_rule(rule)}" for rule in self.checks)
        alias = "" if self.key == self.coordinate.split(".")[1] else f"{self.key}: "
        return f"{'  ' * self.depth}{alias}{self.coordinate}  ({self.read}){checks}"


def describe_rule(rule: object) -> str:
    if isinstance(rule, RegistryVisibility):
        view = f" as {rule.view}" if rule.view else ""
        return f"registry {rule.model.__name__}.{rule.field}{view}"
    if isinstance(rule, RowsOf):
        view = f" as {rule.view}" if rule.view else ""
        return f"rows of {rule.model.__name__}{view}"
    return type(rule).__name__


@dataclass
class Compiled:
    """A document's plan: its root steps, and each field it reads with the checks it got."""

    steps: list[Step]
    fields: list[CheckedField]


class Compiler:
    """Compiles one operation of one document against the schema."""

    def __init__(
        self,
        schema: MentorSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.schema = schema
        self.graphql_schema = schema._schema
        self.operation = operation
        self.fragments = fragments
        self.fields: list[CheckedField] = []
        self.argument_slots = 0
        self.depth = 0

    def compile(self) -> Compiled:
        if self.operation.operation.value != "query":
            raise Refused(f"a {self.operation.operation.value}: only queries are compiled")
        if self.schema.config.default_resolver is not getattr:
            raise Refused("the schema's default resolver is not an attribute read")
        if self.schema.exception_handlers:
            raise Refused("the schema has exception handlers the compiler does not know")
        root = self.graphql_schema.query_type
        assert root is not None
        steps = self.selection(root, [self.operation.selection_set])
        return Compiled(steps, self.fields)

    # -- selections -------------------------------------------------------------------------

    def selection(
        self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> list[Step]:
        """A step per response key, fragments merged as graphql-core's field collection does
        for an object type."""
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            for node in self.collect(parent, selection_set, set()):
                key = node.alias.value if node.alias else node.name.value
                grouped.setdefault(key, []).append(node)
        return [self.field_step(parent, key, nodes) for key, nodes in grouped.items()]

    def collect(
        self, parent: GraphQLObjectType, selection_set: SelectionSetNode, seen: set[str]
    ) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if not self.included(selection.directives or ()):
                continue
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self.matches(parent, condition.name.value):
                    yield from self.collect(parent, selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                seen.add(name)
                if self.matches(parent, fragment.type_condition.name.value):
                    yield from self.collect(parent, fragment.selection_set, seen)

    def matches(self, parent: GraphQLObjectType, condition: str) -> bool:
        named = self.graphql_schema.get_type(condition)
        if named is parent:
            return True
        if named is None:
            raise Refused(f"a fragment on the unknown type {condition}")
        return self.graphql_schema.is_sub_type(named, parent)  # type: ignore[arg-type]

    def included(self, directives: tuple[DirectiveNode, ...] | list[DirectiveNode]) -> bool:
        """``@skip`` / ``@include`` with a literal decide here; with a variable, refused."""
        included = True
        for directive in directives:
            name = directive.name.value
            if name not in ("skip", "include"):
                raise Refused(f"the directive @{name} in a selection")
            [argument] = directive.arguments or ()
            if not isinstance(argument.value, BooleanValueNode):
                raise Refused(f"@{name} with a variable")
            value = argument.value.value
            included = included and (not value if name == "skip" else value)
        return included

    # -- fields ------------------------------------------------------------------------------

    def field_step(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Step:
        name = nodes[0].name.value
        if name == "__typename":
            typename = parent.name

            def typename_step(source: Any, result: dict[str, Any], *_: Any) -> None:
                result[key] = typename

            return typename_step
        if name.startswith("__"):
            raise Refused(f"the introspection field {name}")
        definition = parent.fields.get(name)
        if definition is None:
            raise Refused(f"{parent.name}.{name} is not a field")
        strawberry_field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(strawberry_field, StrawberryField):
            raise Refused(f"{parent.name}.{name} is not a Strawberry field")
        coordinate = f"{parent.name}.{name}"
        resolver = strawberry_field.base_resolver
        read_as = "attribute" if resolver is None else f"resolver {resolver.name}"
        rules: list[object] = list(strawberry_field.extensions)
        checked = CheckedField(key, coordinate, self.depth, rules, read_as)
        self.fields.append(checked)
        self.depth += 1
        complete = self.completion(definition.type, nodes, coordinate)
        self.depth -= 1
        read = self.reader(parent, definition, strawberry_field, nodes, key)
        return self.checked_step(key, parent.name, read, complete, strawberry_field, checked)

    def reader(
        self,
        parent: GraphQLObjectType,
        definition: GraphQLField,
        strawberry_field: StrawberryField,
        nodes: list[FieldNode],
        key: str,
    ) -> Reader:
        """How the field's value is read: an attribute, or the resolver with its arguments."""
        resolver = strawberry_field.base_resolver
        if resolver is None:
            attribute = strawberry_field.python_name

            def read_attribute(source: Any, path: Path | None, run: Run) -> Any:
                return getattr(source, attribute)

            return read_attribute
        if resolver.is_graphql_generic or getattr(resolver, "is_async_generator", False):
            name = nodes[0].name.value
            raise Refused(f"{parent.name}.{name}: a resolver of a kind the compiler does not know")
        slot = self.argument_slots
        self.argument_slots += 1
        node = nodes[0]
        has_arguments = bool(definition.args or node.arguments)
        converter = self.schema.schema_converter
        extensions = strawberry_field.extensions
        self_parameter = resolver.self_parameter is not None
        keyed = [
            parameter.name
            for parameter in (resolver.root_parameter, resolver.parent_parameter)
            if parameter is not None
        ]
        info_name = resolver.info_parameter.name if resolver.info_parameter else None

        def arguments(run: Run, info: Info) -> dict[str, Any]:
            converted = run.arguments.get(slot)
            if converted is None:
                raw = (
                    get_argument_values(definition, node, run.executor.variable_values)
                    if has_arguments
                    else {}
                )
                converted = convert_arguments(
                    raw,
                    strawberry_field.arguments,
                    scalar_registry=converter.scalar_registry,
                    config=self.schema.config,
                    info=info,
                )
                for extension in extensions:
                    converted = extension.map_arguments(converted)
                run.arguments[slot] = converted
            return converted

        def call_resolver(source: Any, path: Path, run: Run) -> Any:
            raw_info = run.executor.build_resolve_info(definition, nodes, parent, path)
            info = Info(_raw_info=raw_info, _field=strawberry_field)
            kwargs = dict(arguments(run, info))
            for name in keyed:
                kwargs[name] = source
            if info_name is not None:
                kwargs[info_name] = info
            if self_parameter:
                return resolver(source, **kwargs)
            return resolver(**kwargs)

        return call_resolver

    def checked_step(
        self,
        key: str,
        typename: str,
        read: Reader,
        complete: Complete,
        strawberry_field: StrawberryField,
        checked: CheckedField,
    ) -> Step:
        """The field's step, with the check its visibility rule asks for (none without one)."""
        rules = strawberry_field.extensions
        if len(rules) > 1:
            raise Refused(f"{checked.coordinate} has more than one field extension")
        if not rules:
            return value_step(key, typename, read, complete)
        [rule] = rules
        if isinstance(rule, RegistryVisibility):
            checked.checks.append(rule)
            return registry_step(key, typename, read, complete, rule)
        if isinstance(rule, RowsOf):
            checked.checks.append(rule)
            return rows_of_step(key, typename, read, complete, rule)
        raise Refused(f"{checked.coordinate}: the field extension {type(rule).__name__}")

    # -- completion --------------------------------------------------------------------------

    def completion(
        self, return_type: GraphQLOutputType, nodes: list[FieldNode], coordinate: str
    ) -> Complete:
        if isinstance(return_type, GraphQLNonNull):
            return non_null(self.completion(return_type.of_type, nodes, coordinate))
        if isinstance(return_type, GraphQLList):
            item = self.completion(return_type.of_type, nodes, coordinate)
            of_type = return_type.of_type
            inner = of_type.of_type if isinstance(of_type, GraphQLNonNull) else of_type
            leaves = isinstance(inner, GraphQLScalarType | GraphQLEnumType)
            return list_of(item, leaves=leaves)
        if isinstance(return_type, GraphQLScalarType | GraphQLEnumType):
            return leaf(return_type)
        if isinstance(return_type, GraphQLObjectType):
            type_check = self.type_check(return_type)
            sets = [node.selection_set for node in nodes if node.selection_set is not None]
            steps = self.selection(return_type, sets)
            return object_of(steps, type_check)
        raise Refused(f"{coordinate} returns the abstract type {return_type}")

    def type_check(self, object_type: GraphQLObjectType) -> TypeCheck | None:
        """The type's own ``is_type_of``, when it is one known to ignore the resolve info."""
        check = object_type.is_type_of
        if check is None:
            return None
        owner = getattr(check, "__self__", None)
        if isinstance(owner, type) and issubclass(owner, ModelNode):
            return check
        if check.__qualname__.endswith("_get_is_type_of.<locals>.is_type_of"):
            return check
        raise Refused(f"{object_type.name} has a type check the compiler does not know")


def verify_checks(compiled: Compiled) -> None:
    """Every field read with a visibility rule got a check for each rule: a plan that would
    read one without it is refused, never run."""
    for checked in compiled.fields:
        missing = [rule for rule in checked.rules if rule not in checked.checks]
        if missing:
            names = ", ".join(type(rule).__name__ for rule in missing)
            raise Refused(f"{checked.coordinate} has the rule {names} and the plan no check")

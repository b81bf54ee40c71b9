"""The closures a plan is made of: a step per field of a selection (reading the value, with
the check its visibility rule asks for), and a completion per GraphQL type (coercing scalars,
walking objects, mapping lists)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLScalarType,
    GraphQLString,
)
from graphql.pyutils import Path, is_iterable
from strawberry.utils.await_maybe import await_maybe

from resolvers.loaders import is_pending
from resolvers.permissions import RegistryVisibility, RowsOf
from resolvers.plans.running import Bail, Complete, Run

# One field's step: reads ``source``'s field into ``result`` at the field's response key;
# the path is the object's, as graphql-core builds it (resolvers read their own from it).
Step = Callable[[Any, dict[str, Any], Path | None, Run], None]
# Reads a field's value from its source, given the field's own path.
Reader = Callable[[Any, Path, Run], Any]
# An object type's ``is_type_of``: sync, and blind to the resolve info (``type_check``).
TypeCheck = Callable[[Any, Any], Any]

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# What most values a plan meets are: never pending, known without asking ``is_pending``.
PLAIN = frozenset({type(None), bool, int, float, str, list, tuple, dict, datetime, date})


# -- steps -------------------------------------------------------------------------------------


def value_step(key: str, typename: str, read: Reader, complete: Complete) -> Step:
    def step(source: Any, result: dict[str, Any], path: Path | None, run: Run) -> None:
        field_path = Path(path, key, typename)
        try:
            value = read(source, field_path, run)
        except Bail:
            raise
        except Exception as error:
            raise Bail(f"a resolver raised {type(error).__name__}") from error
        if type(value) not in PLAIN and is_pending(value):
            result[key] = None
            run.later(value, result, key, complete, field_path)
        else:
            result[key] = complete(value, field_path, run)

    return step


def registry_step(
    key: str, typename: str, read: Reader, complete: Complete, rule: RegistryVisibility
) -> Step:
    """``RegistryVisibility``: null, with no error, outside the registry's audience of
    ``model.field``; decided now where the access layer can, else after its lookup, by the
    extension's own decisions."""
    plain = value_step(key, typename, read, complete)

    def step(source: Any, result: dict[str, Any], path: Path | None, run: Run) -> None:
        access = run.executor.context_value.access
        decided = rule.visible_now(source, access)
        if decided is None:
            field_path = Path(path, key, typename)

            async def after_lookup() -> Any:
                if not await rule.visible_after_lookup(source, access):
                    return None
                return await await_maybe(read(source, field_path, run))

            result[key] = None
            run.later(after_lookup(), result, key, complete, field_path)
        elif decided:
            plain(source, result, path, run)
        else:
            result[key] = complete(None, path, run)

    return step


def rows_of_step(key: str, typename: str, read: Reader, complete: Complete, rule: RowsOf) -> Step:
    """``RowsOf``: null, with no error, for a viewer the model's row rule keeps out."""
    plain = value_step(key, typename, read, complete)

    def step(source: Any, result: dict[str, Any], path: Path | None, run: Run) -> None:
        if rule.opens(source, run.executor.context_value.access):
            plain(source, result, path, run)
        else:
            result[key] = complete(None, path, run)

    return step


# -- completions -------------------------------------------------------------------------------


def non_null(inner: Complete) -> Complete:
    def complete(value: Any, path: Path | None, run: Run) -> Any:
        if value is None:
            raise Bail("null in a non-null position")
        return inner(value, path, run)

    return complete


def leaf(leaf_type: GraphQLScalarType | GraphQLEnumType) -> Complete:
    """A scalar or enum value by its own output coercion; the built-in scalars' common case
    checked inline. A value the coercion refuses bails out, so graphql-core reports it."""
    coerce = leaf_type.coerce_output_value

    def coerced(value: Any) -> Any:
        try:
            output = coerce(value)
        except Exception as error:
            raise Bail(f"a value {leaf_type.name} refuses") from error
        if output is None:
            raise Bail(f"a value {leaf_type.name} coerces to nothing")
        return output

    if leaf_type is GraphQLString or leaf_type is GraphQLID:

        def complete_text(value: Any, path: Path | None, run: Run) -> Any:
            if value is None:
                return None
            return value if type(value) is str else coerced(value)

        return complete_text
    if leaf_type is GraphQLInt:

        def complete_int(value: Any, path: Path | None, run: Run) -> Any:
            if value is None:
                return None
            if type(value) is int and INT_MIN <= value <= INT_MAX:
                return value
            return coerced(value)

        return complete_int
    if leaf_type is GraphQLFloat:

        def complete_float(value: Any, path: Path | None, run: Run) -> Any:
            if value is None:
                return None
            if type(value) is float and math.isfinite(value):
                return value
            return coerced(value)

        return complete_float
    if leaf_type is GraphQLBoolean:

        def complete_boolean(value: Any, path: Path | None, run: Run) -> Any:
            if value is None or value is True or value is False:
                return value
            return coerced(value)

        return complete_boolean

    def complete_leaf(value: Any, path: Path | None, run: Run) -> Any:
        return None if value is None else coerced(value)

    return complete_leaf


def list_of(item: Complete, *, leaves: bool) -> Complete:
    """A list item by item; pending items wait with the rest of their level. Once the loop's
    slice is spent, the rest of a list of objects completes in a later turn, as one piece
    that may put off its own rest again (``RowsAreValues`` shares the loop the same way)."""

    def complete_items(
        items: list[Any], start: int, completed: list[Any], path: Path | None, run: Run
    ) -> None:
        for index in range(start, len(items)):
            element = items[index]
            item_path = Path(path, index, None)
            if type(element) not in PLAIN and is_pending(element):
                run.later(element, completed, index, item, item_path)
            elif leaves or index == start or not run.slice_spent():
                completed[index] = item(element, item_path, run)
            else:
                # The rest, into their places in ``completed``.
                run.defer(partial(complete_items, items, index, completed, path, run))
                return

    def complete(value: Any, path: Path | None, run: Run) -> Any:
        if value is None:
            return None
        if not is_iterable(value):
            raise Bail("a list field's value is not a list")
        items = value if isinstance(value, list) else list(value)
        run.count_list(len(items))
        completed: list[Any] = [None] * len(items)
        complete_items(items, 0, completed, path, run)
        return completed

    return complete


def object_of(steps: list[Step], type_check: TypeCheck | None) -> Complete:
    def complete(value: Any, path: Path | None, run: Run) -> Any:
        if value is None:
            return None
        if type_check is not None and not type_check(value, None):
            raise Bail("a value is not of its object type")
        result: dict[str, Any] = {}
        for step in steps:
            step(value, result, path, run)
        return result

    return complete

"""Look ahead at what an operation selects below a field, to load it for a whole page at once.

Loading warms the per-request DataLoaders; fields then answer from them at once (see
``loaders.now_or_later``). Nothing depends on it for correctness: a field whose data was not
loaded ahead simply waits for its loader.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection

from resolvers.context import Info


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """Fields of a selection set, with fragments and inline fragments flattened."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def selected_below(info: Info, *path: str) -> list[SelectedField]:
    """The fields selected at ``path`` below the field being resolved.

    ``selected_below(info, "edges", "node")`` on a connection field gives what the operation
    asks of each node, under any alias, however many times the path is selected.
    """
    level = [
        child for field in _fields(info.selected_fields) for child in _fields(field.selections)
    ]
    for name in path:
        level = [
            child for field in level if field.name == name for child in _fields(field.selections)
        ]
    return level


def int_argument(field: SelectedField, name: str) -> int | None:
    """An Int argument as sent: variables arrive coerced, literals as their source text."""
    value = field.arguments.get(name)
    return None if value is None else int(value)


def str_argument(field: SelectedField, name: str) -> str | None:
    value = field.arguments.get(name)
    return None if value is None else str(value)

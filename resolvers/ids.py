"""Global IDs in inputs: the row id they name, checked against the type they must name."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry import relay

from core import limits
from core.errors import NotFound


def as_row_id(node_id: str) -> int | None:
    """A row id is ASCII digits that fit a positive BIGINT; anything else names no row
    (``"²".isdigit()`` is true, and ``int("²")`` raises)."""
    if not node_id.isascii() or not node_id.isdigit():
        return None
    found = int(node_id)
    return found if 0 < found <= limits.MAX_ROW_ID else None


def row_id_or_none(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The row id a global ID names, or None when it is not an ID of ``type_name``."""
    return as_row_id(global_id.node_id) if global_id.type_name == type_name else None


def row_id(global_id: relay.GlobalID, type_name: str, *, field: str) -> int:
    """An ID of the wrong type, or not ours, is not found, like a missing row."""
    found = row_id_or_none(global_id, type_name)
    if found is None:
        raise NotFound(f"No such {type_name.lower()}.", field=field)
    return found


def int_ids(node_ids: Iterable[str]) -> list[int]:
    """Row ids from ``resolve_nodes``; a malformed one becomes 0, which names no row."""
    return [as_row_id(i) or 0 for i in node_ids]

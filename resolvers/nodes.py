"""Relay nodes backed by models: one base for type resolution and ``node(id)``, and one way to
reach a related row, both through the model's row rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

import strawberry
from strawberry import relay
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.cast import cast as strawberry_cast
from strawberry.utils.await_maybe import await_maybe
from tortoise.models import Model

from resolvers.context import Info
from resolvers.ids import int_ids
from services.access.policy import RowRule

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class AlsoShown:
    """Rows of another model that a node type shows too, as seen through ``view`` (a legal
    disclosure among the shares of a person's data). Their ids start with ``prefix``, so
    they never name a row of the type's own model."""

    model: type[Model]
    view: RowRule
    prefix: str


class ModelNode(relay.Node):
    """A node whose objects are rows of ``model`` (and of ``also_shows``); a row the viewer
    may not see is null."""

    model: ClassVar[type[Model]]
    also_shows: ClassVar[tuple[AlsoShown, ...]] = ()

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, (cls.model, *(shown.model for shown in cls.also_shows)))

    @classmethod
    def resolve_id(cls, root: Any, *, info: Any) -> Any:
        for shown in cls.also_shows:
            if isinstance(root, shown.model):
                return f"{shown.prefix}{root.pk}"
        return super().resolve_id(root, info=info)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Model | None]:
        asked = list(node_ids)
        found: list[Model | None] = [None] * len(asked)
        by_kind: dict[AlsoShown | None, list[int]] = {}
        for index, node_id in enumerate(asked):
            shown = next((s for s in cls.also_shows if node_id.startswith(s.prefix)), None)
            by_kind.setdefault(shown, []).append(index)
        access = info.context.access
        for shown, indexes in by_kind.items():
            model, view = (cls.model, None) if shown is None else (shown.model, shown.view)
            ids = int_ids(asked[i].removeprefix(shown.prefix if shown else "") for i in indexes)
            rows = await info.context.loaders.rows(model).load_many(ids)
            for index, row in zip(indexes, rows, strict=True):
                found[index] = row if row is not None and await access.may_see(row, view) else None
        return found


async def visible_row(info: Info, model: type[M], key: int | None, *, by: str = "pk") -> M | None:
    """The row of ``model`` whose ``by`` column is ``key``, if there is one and the viewer may
    see it: how a field reaches a related object (a job's mentor, a testimonial's job)."""
    if key is None:
        return None
    row = await info.context.loaders.rows(model, by).load(key)
    return row if row is not None and await info.context.access.may_see(row) else None


async def resolve_node(
    info: Info,
    id: Annotated[relay.GlobalID, strawberry.argument(description="The ID of the object.")],
) -> relay.Node | None:
    """Any object by global ID: null when it does not exist or the viewer may not see it.

    A plain resolver rather than ``relay.node()``, whose field cannot be built into a second
    schema in one process; an ID naming no node type is null too, so IDs cannot be probed.
    So is the ``Node`` interface itself: a Node type in Strawberry's eyes, whose rows are none.
    """
    try:
        node_type = id.resolve_type(info)
    except GlobalIDValueError:
        return None
    if not issubclass(node_type, ModelNode):
        return None
    node = await await_maybe(node_type.resolve_node(id.node_id, info=info, required=False))
    return None if node is None else strawberry_cast(node_type, node)

"""Who may read a field, declared on the field. Resolvers never decide visibility inline.

``registry_field`` is the one way to declare a field whose model column the personal-data
registry governs: a viewer outside its audience gets ``null`` and no error. ``rows_of`` covers
a user's fields that show rows of another model (saved cards, the payout account), by that
model's row rule or a view of it.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.utils.await_maybe import await_maybe
from tortoise.models import Model

from resolvers.base import described_enum
from resolvers.context import Info
from services.access.decisions import Access
from services.access.policy import Audience, Category, RowRule
from services.access.registry import read_rule

DataCategoryEnum = described_enum(
    Category,
    name="DataCategory",
    description="A category of personal data, as the personal-data registry classifies "
    "every field that holds some.",
    values={
        Category.CONTACT: "How to reach someone: the email address and its verification.",
        Category.IDENTITY: "Who someone is: the name and profile photo.",
        Category.FINANCIAL: "Payments, refunds, prices, saved cards (brand and last digits), "
        "payouts.",
        Category.DEVICE_NETWORK: "Truncated IP addresses and browser families of visits and "
        "sessions.",
        Category.BEHAVIOUR: "Activity on the platform: pages viewed, posts liked, notices read.",
        Category.CONTENT: "What someone wrote: bio, posts, job requests, testimonials.",
        Category.PREFERENCES: "Settings and choices: language, time zone, expertise, consents.",
        Category.CREDENTIAL: "Secrets: password hashes, session and email tokens; never "
        "exported or disclosed.",
    },
)


class RegistryVisibility(FieldExtension):
    """Null, with no error, for a viewer outside the registry's audience of ``model.field``,
    and on a row of another model that the type shows too (``ModelNode.also_shows``).

    Decides synchronously where it can (see ``Access.field_now``) and awaits only when a
    relationship must be looked up, so a page of public fields does not turn every field
    into a coroutine.
    """

    def __init__(self, model: type[Model], field: str, view: RowRule | None = None) -> None:
        read_rule(model, field)  # fail at schema build if the field has no rule
        self.model = model
        self.field = field
        self.view = view

    def visible_now(self, source: Any, access: Access) -> bool | None:
        """Whether the viewer may read the field on ``source``; None while a relationship
        must be looked up first (``visible_after_lookup``). Compiled plans ask this too."""
        if not isinstance(source, self.model):
            return False  # a row of another model the type also shows has no such field
        return access.field_now(source, self.field, self.view)

    async def visible_after_lookup(self, source: Any, access: Access) -> bool:
        return isinstance(source, self.model) and await access.may_read(
            source, self.field, self.view
        )

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        decided = self.visible_now(source, info.context.access)
        if decided is None:
            return self._resolve_after_lookup(next_, source, info, **kwargs)
        return next_(source, info, **kwargs) if decided else None

    async def _resolve_after_lookup(
        self, next_: Any, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if not await self.visible_after_lookup(source, info.context.access):
            return None
        return await await_maybe(next_(source, info, **kwargs))

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return await self._resolve_after_lookup(next_, source, info, **kwargs)


def registry_field(
    model: type[Model], field: str, description: str, *, view: RowRule | None = None
) -> Any:
    """A field reading ``model.field``, hidden from viewers outside the registry's audience.

    Use it as a value (``email: str | None = registry_field(User, "email", "…")``) or on a
    resolver that shapes the column (``@registry_field(Job, "price_cents", "…")``). On a type
    that shows rows as a ``view`` (success stories), the view's published state opens it. A
    field the registry makes PUBLIC needs no check and gets none.
    """
    public = Audience.PUBLIC in read_rule(model, field).audience
    extensions: list[FieldExtension] = [] if public else [RegistryVisibility(model, field, view)]
    return strawberry.field(description=description, extensions=extensions)


class RowsOf(FieldExtension):
    """Null, with no error, on a user's field that shows their rows of ``model`` (or a fact
    drawn from them), for a viewer the model's row rule does not let see them. Null on a list
    too: Strawberry's own silent permission answers ``[]``, which would look like "none"."""

    def __init__(self, model: type[Model], view: RowRule | None = None) -> None:
        self.model = model
        self.view = view

    def opens(self, source: Any, access: Access) -> bool:
        """Whether the viewer may see ``source``'s rows of the model. Compiled plans ask
        this too."""
        return access.opens_rows_of(self.model, source.id, self.view)

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return next_(source, info, **kwargs) if self.opens(source, info.context.access) else None

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        if not self.opens(source, info.context.access):
            return None
        return await await_maybe(next_(source, info, **kwargs))


def rows_of(model: type[Model], *, view: RowRule | None = None) -> RowsOf:
    """Rows of ``model`` by its row rule, or by ``view`` where the field shows them as one
    (the audit rows of a user's log-ins, as their login history)."""
    return RowsOf(model, view)

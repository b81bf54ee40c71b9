"""One viewer's access: which rows they see and which fields they read, from the registry alone.

Rows are decided in SQL for lists (``where``, ``visible``) and in Python for rows already
loaded (``row_now``, ``may_see``); fields always in Python (``field_now``, ``may_read``). The
``*_now`` forms answer without awaiting where they can and ``None`` where a relationship must
be looked up, which keeps a large page of public fields cheap. Lookups go through a batcher
the caller injects (the GraphQL layer batches them per request), so nothing here depends on
the GraphQL library.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from tortoise.expressions import Q
from tortoise.fields.relational import RelationalField
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.accounts import User
from services.access.policy import Audience, ModelPrivacy, PersonalField, ReadRule, RowRule
from services.access.registry import privacy_of
from services.access.relationships import RELATIONSHIPS, matching, nothing
from services.access.viewer import Viewer

M = TypeVar("M", bound=Model)
BatchLoad = Callable[[Sequence[int]], Awaitable[list[bool]]]
Load = Callable[[int], Awaitable[bool]]
# Turns a batch lookup into a per-key one, batching the keys asked for together.
Batcher = Callable[[BatchLoad], Load]
# Rows of a model by primary key, in the order asked (None where there is none).
RelatedRows = Callable[[type[Model], Sequence[int]], Awaitable[Sequence[Model | None]]]


def one_by_one(batch: BatchLoad) -> Load:
    """No batching: for a service deciding outside a request."""

    async def load(key: int) -> bool:
        return (await batch([key]))[0]

    return load


@dataclass(frozen=True)
class StaffRead:
    """A staff member read someone's personal field; the request audits it."""

    actor_id: int | None
    subject_id: int
    model: str
    field: str


def _unfetched(row: Model, relations: tuple[str, ...]) -> list[str]:
    """The relations a rule reads that did not come with the row (Tortoise answers a query
    for those, the loaded row for the others)."""
    return [name for name in relations if isinstance(getattr(row, name), QuerySet)]


async def _fetch_missing_joins(row: Model) -> None:
    """Fetch what the model's rules read when a read path did not bring it (a row from a
    service rather than a loader): a query for this row, where loaders fetch for the page."""
    if _unfetched(row, privacy_of(type(row)).joins):
        await fetch_joins([row])


async def rows_by_pk(model: type[Model], keys: Sequence[int]) -> list[Model | None]:
    """Rows of ``model`` by primary key, in one query, in the order asked (None: no such row)."""
    found = {row.pk: row for row in await model.filter(pk__in=list(keys))}
    return [found.get(key) for key in keys]


async def fetch_joins(rows: Sequence[Model], related: RelatedRows = rows_by_pk) -> None:
    """Fetch for a list of rows of one model the relations its rules read, in one read per
    related model (a testimonial's author and mentor are both users: one read). A request
    passes its own loaders as ``related``, so rows it already holds are not read again."""
    if not rows:
        return
    model = type(rows[0])
    by_target: dict[type[Model], list[str]] = {}
    for name in privacy_of(model).joins:
        relation = cast(RelationalField, model._meta.fields_map[name])
        by_target.setdefault(relation.related_model, []).append(name)
    for target, names in by_target.items():
        keys = sorted({getattr(row, f"{name}_id") for row in rows for name in names} - {None})
        found = dict(zip(keys, await related(target, keys), strict=True))
        for row in rows:
            for name in names:
                setattr(row, name, found.get(getattr(row, f"{name}_id")))


class Access:
    """What one viewer may see: built once per request (with its lookups batched) or for a
    service acting for a user (``Access.of``). It remembers the staff reads to audit."""

    def __init__(self, viewer: Viewer, batch: Batcher = one_by_one) -> None:
        self.viewer = viewer
        self.staff_reads: set[StaffRead] = set()
        self._batch = batch
        self._loads: dict[Audience, Load] = {}
        self._established: set[tuple[Audience, int]] = set()
        self._held: set[tuple[type[Model], object]] = set()

    @classmethod
    def of(cls, user: User) -> Access:
        """A user's access outside a request: a service acting for them."""
        return cls(Viewer(user=user))

    # Relationships.

    def establish(self, audience: Audience, owner_id: int) -> None:
        """Record a relationship the caller has just proven (say, by showing an active mentor's
        profile), so reads it opens are decided without another lookup."""
        self._established.add((audience, owner_id))

    def prove_holder(self, row: Model) -> None:
        """The viewer, signed in or not, has just proven they hold ``row`` (a mailed token
        proves its mailbox, so the account it verified): they see that row and read its
        fields as its owner does. Only that row: every other row of the owner's keeps its
        rule, and no session comes of it."""
        self._held.add((type(row), row.pk))

    def _holds(self, row: Model) -> bool:
        return (type(row), row.pk) in self._held

    def _looked_up(self, privacy: ModelPrivacy, audiences: frozenset[Audience]) -> list[Audience]:
        """The audiences that open only through a relationship this viewer may have."""
        found = [audience for audience in RELATIONSHIPS if audience in audiences]
        if Audience.COUNTERPARTY in found and (privacy.counterparty or self.viewer.user is None):
            found.remove(Audience.COUNTERPARTY)  # the row names it, or nobody is signed in
        return found

    async def _related(self, audience: Audience, owner_id: int) -> bool:
        if (audience, owner_id) in self._established:
            return True
        load = self._loads.get(audience)
        if load is None:
            lookup, viewer_id = RELATIONSHIPS[audience].lookup, self.viewer.user_id
            load = self._loads[audience] = self._batch(lambda ids: lookup(viewer_id, ids))
        return await load(owner_id)

    def _is_counterparty(self, privacy: ModelPrivacy, row: Model) -> bool:
        viewer_id = self.viewer.user_id
        return (
            privacy.counterparty is not None
            and viewer_id is not None
            and getattr(row, privacy.counterparty) == viewer_id
        )

    def _established_for(self, audiences: frozenset[Audience], owner_id: int) -> bool:
        return any((audience, owner_id) in self._established for audience in audiences)

    # Rows.

    def row_now(self, row: Model, rule: RowRule | None = None) -> bool | None:
        """Whether the viewer sees ``row`` under its model's rule (or ``rule``, a view of the
        rows); None when a relationship must be looked up, or a relation the rule reads
        fetched (``may_see``)."""
        privacy = privacy_of(type(row))
        rule = rule or privacy.rows
        if _unfetched(row, rule.joins):
            return None
        if self._in_every_state(rule):
            return True
        if rule.live is not None and not rule.live.holds(row):
            return False
        audiences = rule.audience
        if Audience.PUBLIC in audiences:
            return True
        if rule.published is not None and rule.published.holds(row):
            return True
        owner = privacy.owner_of(row)
        is_owner = owner is not None and (owner == self.viewer.user_id or self._holds(row))
        if Audience.OWNER in audiences and is_owner:
            return True
        if Audience.COUNTERPARTY in audiences and self._is_counterparty(privacy, row):
            return True
        if any(self.viewer.has_permission(permission) for permission in rule.staff):
            return True
        if owner is not None and self._established_for(audiences, owner):
            return True
        if owner is not None and self._looked_up(privacy, audiences):
            return None
        return False

    async def may_see(self, row: Model, rule: RowRule | None = None) -> bool:
        await _fetch_missing_joins(row)
        decided = self.row_now(row, rule)
        if decided is not None:
            return decided
        privacy = privacy_of(type(row))
        owner = int(privacy.owner_of(row) or 0)
        for audience in self._looked_up(privacy, (rule or privacy.rows).audience):
            if await self._related(audience, owner):
                return True
        return False

    async def visible_rows(self, rows: Sequence[M | None]) -> list[M | None]:
        """``rows`` with every row the viewer may not see replaced by None."""
        return [row if row is not None and await self.may_see(row) else None for row in rows]

    def where(self, model: type[Model], rule: RowRule | None = None) -> Q:
        """The rows of ``model`` the viewer sees, as a filter: the same rule as ``may_see``."""
        privacy = privacy_of(model)
        rule = rule or privacy.rows
        if self._in_every_state(rule):
            return Q()
        opened = self._opened_where(privacy, rule)
        if rule.live is None:
            return opened if opened is not None else Q()
        live = rule.live.where()
        return live if opened is None else live & opened

    def _in_every_state(self, rule: RowRule) -> bool:
        return any(self.viewer.has_permission(p) for p in rule.staff_in_every_state)

    def _opened_where(self, privacy: ModelPrivacy, rule: RowRule) -> Q | None:
        """The rows the rule's audiences open, or None when they open every row."""
        audiences, viewer_id = rule.audience, self.viewer.user_id
        if Audience.PUBLIC in audiences or any(self.viewer.has_permission(p) for p in rule.staff):
            return None
        terms = [rule.published.where()] if rule.published is not None else []
        if viewer_id is not None and Audience.OWNER in audiences and privacy.owner:
            terms.append(matching(privacy.owner, viewer_id))
        if viewer_id is not None and Audience.COUNTERPARTY in audiences and privacy.counterparty:
            terms.append(matching(privacy.counterparty, viewer_id))
        for audience in self._looked_up(privacy, audiences):
            assert privacy.owner is not None, "a relationship opens rows of an owner"
            terms.append(RELATIONSHIPS[audience].where(viewer_id, privacy.owner))
        return functools.reduce(operator.or_, terms) if terms else nothing()

    def visible(self, model: type[M], rule: RowRule | None = None) -> QuerySet[M]:
        return model.filter(self.where(model, rule))

    def opens_rows_of(self, model: type[Model], owner_id: int, rule: RowRule | None = None) -> bool:
        """Whether the viewer sees rows of ``model`` owned by ``owner_id`` under its rule (or
        ``rule``, a view of the rows), for a rule that depends on the owner alone (the consent
        records of a testimonial's author)."""
        privacy = privacy_of(model)
        rule = rule or privacy.rows
        if rule.live or rule.published or Audience.COUNTERPARTY in rule.audience:
            raise ValueError(f"the rule of {model.__name__} depends on more than the owner")
        if privacy.owner is None:
            raise ValueError(f"rows of {model.__name__} are nobody's")
        decided = self.row_now(model(**{privacy.owner: owner_id}), rule)
        if decided is None:
            raise ValueError(f"the rule of {model.__name__} needs a relationship lookup")
        return decided

    # Fields.

    def field_now(self, row: Model, name: str, view: RowRule | None = None) -> bool | None:
        """Whether the viewer reads ``name`` of a row they see (through ``view``, when the row
        is shown as one: its published state opens PUBLISHED); None when a relationship must
        be looked up (``may_read``). A staff read of personal data is noted for the audit."""
        privacy = privacy_of(type(row))
        rule = privacy.read_rules[name]
        audiences = rule.audience
        if Audience.PUBLIC in audiences:
            return True
        if Audience.PUBLISHED in audiences:
            published = view.published if view is not None else privacy.published_state(rule)
            if published is not None and _unfetched(row, published.joins):
                return None
            if published is not None and published.holds(row):
                return True
        owner = privacy.owner_of(row)
        if owner is not None and (owner == self.viewer.user_id or self._holds(row)):
            return Audience.OWNER in audiences
        if Audience.COUNTERPARTY in audiences and self._is_counterparty(privacy, row):
            return True
        if owner is not None and self._established_for(audiences, owner):
            return True
        if owner is not None and self._looked_up(privacy, audiences):
            return None
        return self._staff_reads(rule, row, name, owner)

    async def may_read(self, row: Model, name: str, view: RowRule | None = None) -> bool:
        await _fetch_missing_joins(row)
        decided = self.field_now(row, name, view)
        if decided is not None:
            return decided
        privacy = privacy_of(type(row))
        rule = privacy.read_rules[name]
        owner = int(privacy.owner_of(row) or 0)
        for audience in self._looked_up(privacy, rule.audience):
            if await self._related(audience, owner):
                return True
        return self._staff_reads(rule, row, name, owner)

    def searched(self, rows: Sequence[Model], names: Sequence[str]) -> None:
        """``rows`` were found by matching their personal fields ``names`` (staff looking up
        an account by its address): each shown row tells the searcher those fields, so the
        search is audited like a read of them."""
        for row in rows:
            privacy = privacy_of(type(row))
            owner = privacy.owner_of(row)
            if owner is None or owner == self.viewer.user_id:
                continue
            for name in names:
                if name in privacy.personal:
                    self.staff_reads.add(
                        StaffRead(self.viewer.user_id, int(owner), type(row).__name__, name)
                    )

    def _staff_reads(self, rule: ReadRule, row: Model, name: str, owner: int | None) -> bool:
        """Staff holding the field's permission read it; a read of personal data is audited."""
        if rule.staff_permission is None or not self.viewer.has_permission(rule.staff_permission):
            return False
        if owner is not None and isinstance(rule, PersonalField):
            self.staff_reads.add(StaffRead(self.viewer.user_id, owner, type(row).__name__, name))
        return True

    def read(self, row: Model, name: str) -> object:
        """The field's value when the viewer may read it now, else None (fails closed where a
        lookup would be needed: for fields whose audience the caller has established)."""
        return getattr(row, name) if self.field_now(row, name) else None

"""The words the access rules are written in: categories, audiences, states and rules.

A *row rule* says who may see a row at all; a *field rule* says who may read one field of a row
they see. Both name audiences, so one evaluator (``services.access.decisions``) decides both,
in Python for a loaded row and in SQL for a list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from tortoise.expressions import Q

from models.accounts import StaffPermission


class Category(StrEnum):
    CONTACT = "CONTACT"
    IDENTITY = "IDENTITY"
    FINANCIAL = "FINANCIAL"
    DEVICE_NETWORK = "DEVICE_NETWORK"
    BEHAVIOUR = "BEHAVIOUR"
    CONTENT = "CONTENT"
    PREFERENCES = "PREFERENCES"
    CREDENTIAL = "CREDENTIAL"


class Audience(StrEnum):
    """Who may read, besides staff holding the rule's staff permission."""

    OWNER = "OWNER"
    # The other party of a job: named by the row itself where it has one (a job's mentor),
    # else anyone who shares a job with the owner.
    COUNTERPARTY = "COUNTERPARTY"
    # Everyone, when the owner is an active mentor (a mentor's profile is public).
    PUBLIC_PROFILE = "PUBLIC_PROFILE"
    # Everyone, while the row is in its published state (a published post, a testimonial its
    # author allowed to be displayed).
    PUBLISHED = "PUBLISHED"
    PUBLIC = "PUBLIC"


class Export(StrEnum):
    VALUE = "VALUE"
    FILE = "FILE"
    OMIT = "OMIT"


class Erasure(StrEnum):
    """What erasure does to the field: delete its row, clear it, replace it, or keep it for law.

    A row goes when one of its fields says DELETE and none needs the row kept (TOMBSTONE,
    PSEUDONYMIZE, RETAIN_FOR_LAW); a row that stays has its DELETE and NULL fields cleared.
    Rows kept for the law are deleted by the purge once the financial retention has passed.
    """

    DELETE = "DELETE"
    NULL = "NULL"
    TOMBSTONE = "TOMBSTONE"
    PSEUDONYMIZE = "PSEUDONYMIZE"
    RETAIN_FOR_LAW = "RETAIN_FOR_LAW"


def audience(*members: Audience) -> frozenset[Audience]:
    return frozenset(members)


NOBODY: frozenset[Audience] = frozenset()
OWNER_ONLY = audience(Audience.OWNER)
# The two parties of a job: the owner and their counterparty.
PARTIES = audience(Audience.OWNER, Audience.COUNTERPARTY)
PROFILE = audience(Audience.OWNER, Audience.COUNTERPARTY, Audience.PUBLIC_PROFILE)
PUBLIC = audience(Audience.PUBLIC)


@dataclass(frozen=True)
class RowState:
    """A state a row can be in, written twice side by side: as a check on a loaded row and as
    the same test in SQL. ``joins`` names the relations the check reads, which every loader
    of the model fetches with the row."""

    name: str
    holds: Callable[[Any], bool]
    where: Callable[[], Q]
    joins: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowRule:
    """Who may see a row at all. A row outside its rule is absent, exactly like a missing one.

    ``live`` is a state without which nobody sees the row (a deactivated account), but for
    staff holding any of ``staff_in_every_state``, who administer the rows in every state;
    ``published`` is the state that opens ``Audience.PUBLISHED``. Staff holding any of
    ``staff`` see every live row.
    """

    audience: frozenset[Audience]
    staff: frozenset[StaffPermission] = frozenset()
    published: RowState | None = None
    live: RowState | None = None
    staff_in_every_state: frozenset[StaffPermission] = frozenset()

    def __post_init__(self) -> None:
        if (Audience.PUBLISHED in self.audience) != (self.published is not None):
            raise ValueError("a row rule opens PUBLISHED exactly when it names the state")
        if not self.staff_in_every_state <= self.staff:
            raise ValueError("staff who see rows in every state see the live ones too")

    @property
    def joins(self) -> tuple[str, ...]:
        return tuple(name for state in (self.live, self.published) if state for name in state.joins)


@dataclass(frozen=True)
class FieldRule:
    """Who may read a field that is not personal data but is not everyone's either (the
    moderation state of a testimonial). Reading one is never audited."""

    audience: frozenset[Audience]
    staff_permission: StaffPermission | None = None
    # Opens PUBLISHED for this field when the field's own state differs from the row's.
    published: RowState | None = None


@dataclass(frozen=True)
class PersonalField:
    """A field holding personal data: its category, audience, and how it leaves (export and
    erasure). A staff read of someone else's is audited."""

    category: Category
    audience: frozenset[Audience]
    erasure: Erasure
    staff_permission: StaffPermission | None = StaffPermission.VIEW_PII
    export: Export = Export.VALUE
    published: RowState | None = None
    # The value is a file-store key: the file is exported and erased with it.
    file: bool = False

    def __post_init__(self) -> None:
        if (self.export is Export.FILE) and not self.file:
            raise ValueError("only a file-store key exports as a FILE")


ReadRule = FieldRule | PersonalField


@dataclass(frozen=True)
class ModelPrivacy:
    """How one model holds personal data and who sees its rows and fields.

    ``owner`` names the attribute holding the user's id (None for rows that are nobody's, like
    the policy's versions); ``counterparty`` the attribute naming the row's other party, where
    the row has one. Every field is in exactly one of ``personal``, ``restricted`` and
    ``not_personal``.
    """

    owner: str | None
    rows: RowRule
    personal: Mapping[str, PersonalField]
    not_personal: frozenset[str] = frozenset()
    restricted: Mapping[str, FieldRule] = field(default_factory=dict)
    counterparty: str | None = None
    # What erasing the counterparty does to the row: None keeps it (it is its owner's, and
    # the erased party shows as a deleted user); DELETE removes it with them.
    counterparty_erasure: Erasure | None = None
    # Which of the owner's rows their copy of their data holds (None: every one). The law
    # lets some be kept from them: a disclosure to an authority they may not be told of.
    exported_rows: RowState | None = None

    def __post_init__(self) -> None:
        if self.owner is None and (self.personal or Audience.OWNER in self.rows.audience):
            raise ValueError("rows that are nobody's hold no personal data and have no owner")
        for name, rule in self.read_rules.items():
            if Audience.PUBLISHED in rule.audience and self.published_state(rule) is None:
                raise ValueError(f"{name} opens PUBLISHED but no published state is declared")

    @cached_property
    def read_rules(self) -> dict[str, ReadRule]:
        """The rule of every field that has one: personal and restricted alike."""
        return {**self.restricted, **self.personal}

    @cached_property
    def joins(self) -> tuple[str, ...]:
        """The relations the row rule and the field rules read: every read of rows handed to
        a viewer fetches them with the rows."""
        names = list(self.rows.joins)
        for rule in self.read_rules.values():
            names.extend(name for name in (rule.published.joins if rule.published else ()))
        return tuple(dict.fromkeys(names))

    def published_state(self, rule: ReadRule) -> RowState | None:
        return rule.published or self.rows.published

    def owner_of(self, row: object) -> int | None:
        return None if self.owner is None else getattr(row, self.owner)

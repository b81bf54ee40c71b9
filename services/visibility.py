"""Who may read what: the registry's audiences evaluated for one viewer.

Relationships that open an audience (COUNTERPARTY through a shared job, PUBLIC_PROFILE
through a published mentor profile) are registered by the domain that creates them, so this
module needs no knowledge of jobs or mentors. An audience nobody registered opens for no one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tortoise.models import Model

from models.accounts import StaffPermission, User
from services.personal_data import Audience, PersonalField, owner_id, personal_field
from services.viewer import Viewer

# Given the viewer of one request, answers "does this relationship hold with user N?".
RelationshipCheck = Callable[[int], Awaitable[bool]]
RelationshipFactory = Callable[[Viewer], RelationshipCheck]

_relationships: dict[Audience, RelationshipFactory] = {}

# Audiences that open through a relationship between the viewer and the data's owner.
RELATIONSHIP_AUDIENCES = (Audience.PUBLIC_PROFILE, Audience.COUNTERPARTY)

# Staff who may open any profile (the fields inside still follow the registry).
PROFILE_STAFF = (StaffPermission.VIEW_PII, StaffPermission.MANAGE_USERS)


def register_relationship(audience: Audience, factory: RelationshipFactory) -> None:
    _relationships[audience] = factory


@dataclass(frozen=True)
class StaffRead:
    actor_id: int | None
    subject_id: int
    model: str
    field: str


@dataclass
class FieldAccess:
    """One request's view of personal data; remembers the staff reads it must audit."""

    viewer: Viewer
    staff_reads: set[StaffRead] = field(default_factory=set)
    _checks: dict[Audience, RelationshipCheck] = field(default_factory=dict)
    _established: set[tuple[Audience, int]] = field(default_factory=set)

    def establish(self, audience: Audience, subject_id: int) -> None:
        """Record a relationship the caller has just proven (say, by loading an active
        mentor's profile), so reads it opens are decided without another lookup."""
        self._established.add((audience, subject_id))

    def _check(self, audience: Audience) -> RelationshipCheck | None:
        if audience not in self._checks and audience in _relationships:
            self._checks[audience] = _relationships[audience](self.viewer)
        return self._checks.get(audience)

    async def related(self, audience: Audience, subject_id: int) -> bool:
        check = self._check(audience)
        return check is not None and await check(subject_id)

    def decide_now(self, row: Model, field_name: str) -> bool | None:
        """The answer when it needs no relationship lookup, or None when it does.

        Most reads (public fields, one's own data, staff) are decided here without awaiting,
        which keeps large pages cheap; only COUNTERPARTY and PUBLIC_PROFILE need a loader.
        """
        rule = personal_field(type(row), field_name)
        subject_id = owner_id(row)
        if Audience.PUBLIC in rule.audience:
            return True
        if subject_id is not None and subject_id == self.viewer.user_id:
            return Audience.OWNER in rule.audience
        if any((audience, subject_id) in self._established for audience in rule.audience):
            return True
        if subject_id is not None and any(
            audience in rule.audience and audience in _relationships
            for audience in RELATIONSHIP_AUDIENCES
        ):
            return None
        return self._staff_may_read(rule, row, field_name, subject_id)

    async def may_read(self, row: Model, field_name: str) -> bool:
        decided = self.decide_now(row, field_name)
        if decided is not None:
            return decided
        rule = personal_field(type(row), field_name)
        subject_id = owner_id(row)
        assert subject_id is not None
        for audience in RELATIONSHIP_AUDIENCES:
            if audience in rule.audience and await self.related(audience, subject_id):
                return True
        return self._staff_may_read(rule, row, field_name, subject_id)

    def _staff_may_read(
        self, rule: PersonalField, row: Model, field_name: str, subject_id: int | None
    ) -> bool:
        """Staff holding the field's permission may read it, and the read is audited."""
        if rule.staff_permission is None or not self.viewer.has_permission(rule.staff_permission):
            return False
        if subject_id is not None:
            self.staff_reads.add(
                StaffRead(self.viewer.user_id, subject_id, type(row).__name__, field_name)
            )
        return True

    async def may_see_user(self, user: User) -> bool:
        """Clients are private: themselves, counterparties and profile staff see them."""
        if user.id == self.viewer.user_id:
            return True
        if any(self.viewer.has_permission(p) for p in PROFILE_STAFF):
            return True
        return await self.related(Audience.PUBLIC_PROFILE, user.id) or await self.related(
            Audience.COUNTERPARTY, user.id
        )

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
from services.personal_data import Audience, owner_id, personal_field
from services.viewer import Viewer

# Given the viewer of one request, answers "does this relationship hold with user N?".
RelationshipCheck = Callable[[int], Awaitable[bool]]
RelationshipFactory = Callable[[Viewer], RelationshipCheck]

_relationships: dict[Audience, RelationshipFactory] = {}

# Staff who may open any profile (the fields inside still follow the registry).
PROFILE_STAFF = (StaffPermission.VIEW_PII, StaffPermission.MANAGE_USERS)


def register_relationship(audience: Audience, factory: RelationshipFactory) -> None:
    _relationships[audience] = factory


@dataclass(frozen=True)
class StaffRead:
    subject_id: int
    model: str
    field: str


@dataclass
class FieldAccess:
    """One request's view of personal data; remembers the staff reads it must audit."""

    viewer: Viewer
    staff_reads: set[StaffRead] = field(default_factory=set)
    _checks: dict[Audience, RelationshipCheck] = field(default_factory=dict)

    def _check(self, audience: Audience) -> RelationshipCheck | None:
        if audience not in self._checks and audience in _relationships:
            self._checks[audience] = _relationships[audience](self.viewer)
        return self._checks.get(audience)

    async def related(self, audience: Audience, subject_id: int) -> bool:
        check = self._check(audience)
        return check is not None and await check(subject_id)

    async def may_read(self, row: Model, field_name: str) -> bool:
        rule = personal_field(type(row), field_name)
        subject_id = owner_id(row)
        if Audience.PUBLIC in rule.audience:
            return True
        if subject_id is not None and subject_id == self.viewer.user_id:
            return Audience.OWNER in rule.audience
        if subject_id is not None:
            for audience in (Audience.PUBLIC_PROFILE, Audience.COUNTERPARTY):
                if audience in rule.audience and await self.related(audience, subject_id):
                    return True
        if rule.staff_permission and self.viewer.has_permission(rule.staff_permission):
            if subject_id is not None:
                self.staff_reads.add(StaffRead(subject_id, type(row).__name__, field_name))
            return True
        return False

    async def may_see_user(self, user: User) -> bool:
        """Clients are private: themselves, counterparties and profile staff see them."""
        if user.id == self.viewer.user_id:
            return True
        if any(self.viewer.has_permission(p) for p in PROFILE_STAFF):
            return True
        return await self.related(Audience.PUBLIC_PROFILE, user.id) or await self.related(
            Audience.COUNTERPARTY, user.id
        )

"""Who is asking: the signed-in user (if any) and how they proved it."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Forbidden, Unauthenticated
from models.accounts import Session, StaffPermission, User


@dataclass(frozen=True)
class PartnerCaller:
    """A partner app a request speaks for, with the scopes its credential carries; with a
    grant, it acts for the grant's user (``Viewer.user``) within those scopes only."""

    app_id: int
    scopes: frozenset[str]
    grant_id: int | None = None


@dataclass(frozen=True)
class Viewer:
    user: User | None = None
    session: Session | None = None
    via_cookie: bool = False
    partner: PartnerCaller | None = None
    # A partner key or token was sent but is unknown, revoked or expired: refused, never
    # served as anonymous.
    partner_credential_refused: bool = False

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    def has_permission(self, permission: StaffPermission) -> bool:
        """A partner app acting for a staff member never holds their staff powers: staff
        work is done by staff themselves."""
        if self.partner is not None:
            return False
        return self.user is not None and self.user.has_staff_permission(permission)

    def require_user(self) -> User:
        if self.user is None:
            raise Unauthenticated()
        return self.user

    def require_permission(self, permission: StaffPermission) -> User:
        user = self.require_user()
        if not self.has_permission(permission):
            raise Forbidden(f"This needs the staff permission {permission.value}.")
        return user


ANONYMOUS = Viewer()

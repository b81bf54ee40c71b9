"""Permissions declared on fields. Resolvers never check access inline."""

from __future__ import annotations

from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.utils.await_maybe import await_maybe
from tortoise.models import Model

from app.context import Info
from core.errors import Forbidden, Unauthenticated
from models.accounts import StaffPermission
from services.personal_data import Audience, personal_field


class IsAuthenticated(BasePermission):
    message = "Sign in to do this."

    def on_unauthorized(self) -> None:
        raise Unauthenticated(self.message or "Sign in to do this.")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.viewer.is_authenticated


class HasStaffPermission(BasePermission):
    def __init__(self, permission: StaffPermission) -> None:
        self.permission = permission
        self.message = f"This needs the staff permission {permission.value}."

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "")

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if not viewer.is_authenticated:
            raise Unauthenticated()
        return viewer.has_permission(self.permission)


class IsOwner(BasePermission):
    """The viewer is the user the object belongs to (``owner_attr`` names the user id)."""

    def __init__(self, owner_attr: str = "id") -> None:
        self.owner_attr = owner_attr

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        viewer_id = info.context.viewer.user_id
        return viewer_id is not None and getattr(source, self.owner_attr) == viewer_id


class RegistryVisibility(FieldExtension):
    """Null, with no error, for a viewer outside the registry's audience of ``model.field``.

    Decides synchronously where it can (see ``FieldAccess.decide_now``) and awaits only when a
    relationship must be looked up, so a page of public fields does not turn every field
    into a coroutine.
    """

    def __init__(self, model: type[Model], field: str) -> None:
        personal_field(model, field)  # fail at schema build if the field is not classified
        self.field = field

    def resolve(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        decided = info.context.field_access.decide_now(source, self.field)
        if decided is None:
            return self._resolve_after_lookup(next_, source, info, **kwargs)
        return next_(source, info, **kwargs) if decided else None

    async def _resolve_after_lookup(
        self, next_: Any, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if not await info.context.field_access.may_read(source, self.field):
            return None
        return await await_maybe(next_(source, info, **kwargs))

    async def resolve_async(self, next_: Any, source: Any, info: Info, **kwargs: Any) -> Any:
        return await self._resolve_after_lookup(next_, source, info, **kwargs)


def owner_only(owner_attr: str = "id") -> PermissionExtension:
    """Null, with no error, for anyone but the owner."""
    return PermissionExtension([IsOwner(owner_attr)], fail_silently=True, use_directives=False)


def registry_visibility(model: type[Model], field: str) -> list[FieldExtension]:
    """The field extensions that hide ``model.field`` from viewers outside its audience.

    A field the registry makes PUBLIC needs none.
    """
    if Audience.PUBLIC in personal_field(model, field).audience:
        return []
    return [RegistryVisibility(model, field)]

"""Permissions declared on fields. Resolvers never check access inline."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission, PermissionExtension
from tortoise.models import Model

from app.context import Info
from models.accounts import StaffPermission
from services.errors import Forbidden, Unauthenticated


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


class InAudience(BasePermission):
    """The viewer is in the registry's audience for ``model.field`` on this row."""

    def __init__(self, model: type[Model], field: str) -> None:
        self.model = model
        self.field = field

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return await info.context.field_access.may_read(source, self.field)


def owner_only(owner_attr: str = "id") -> PermissionExtension:
    """Null, with no error, for anyone but the owner."""
    return PermissionExtension([IsOwner(owner_attr)], fail_silently=True, use_directives=False)


def registry_visibility(model: type[Model], field: str) -> PermissionExtension:
    """Null, with no error, for anyone outside the registry's audience of the field."""
    return PermissionExtension([InAudience(model, field)], fail_silently=True, use_directives=False)

"""What the staff tests share: the documents they send and small readers of the audit log."""

from __future__ import annotations

from typing import Any

from models.audit import AuditAction, AuditEntry
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn

USERS = document("Users")
DEACTIVATE = document("DeactivateUser")
REACTIVATE = document("ReactivateUser")
GRANT = document("GrantStaffPermission")
REVOKE = document("RevokeStaffPermission")
AUDIT_LOG = document("AuditLog")


async def audited(action: AuditAction) -> list[tuple[int | None, int | None, dict[str, Any]]]:
    """The entries of ``action``, oldest first: (actor id, subject id, detail)."""
    rows = await AuditEntry.filter(action=action).order_by("id")
    return [(row.actor_id, row.subject_id, row.detail) for row in rows]


async def mutate(
    graphql: GraphQLClient, query: str, field: str, staff: SignedIn, **sent: Any
) -> dict[str, Any]:
    """Send a staff mutation's input; answer its payload."""
    payload: dict[str, Any] = (await graphql.data(query, {"input": sent}, token=staff.token))[field]
    return payload


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in payload["errors"]]

"""Staff administration (P13: "we answer queries about your account for billing and
administration"): account staff find accounts in every state and deactivate or reactivate
them; only MANAGE_STAFF changes staff permissions; nobody acts on their own account; every
change is audited, and every personal field staff read is too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from strawberry.relay import to_base64

from core.runtime import Runtime
from models.accounts import StaffPermission, User
from models.audit import AuditAction, AuditEntry
from tests.deletion.helpers import asked, cancel, confirm, erase_after, log_in_codes
from tests.staff.helpers import (
    DEACTIVATE,
    GRANT,
    REACTIVATE,
    REVOKE,
    USERS,
    audited,
    codes,
    mutate,
)
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P13")

P = StaffPermission
ME = "{ me { id } }"
USER = "query U($id: ID!) { user(id: $id) { id isActive deactivationReason } }"
GRACE = 30


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice Liddell", email="alice@example.com")


@pytest.fixture
async def admin(users: UserFactory) -> SignedIn:
    """Account staff, who may not read personal fields."""
    return await users.create("Ada Admin", email="ada@example.com", staff=[P.MANAGE_USERS])


async def _listed(graphql: GraphQLClient, staff: SignedIn, **filter: Any) -> list[dict[str, Any]]:
    data = await graphql.data(USERS, {"filter": filter}, token=staff.token)
    return [edge["node"] for edge in data["users"]["edges"]]


def _ids(nodes: list[dict[str, Any]]) -> list[str]:
    return [node["id"] for node in nodes]


async def _deactivate(graphql: GraphQLClient, staff: SignedIn, who: SignedIn) -> dict[str, Any]:
    return await mutate(
        graphql, DEACTIVATE, "deactivateUser", staff, userId=who.global_id, reason="FRAUD"
    )


async def _reactivate(graphql: GraphQLClient, staff: SignedIn, who: SignedIn) -> dict[str, Any]:
    return await mutate(graphql, REACTIVATE, "reactivateUser", staff, userId=who.global_id)


# Finding accounts.


async def test_account_staff_list_every_account_newest_first_without_personal_fields(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    gone = await users.create("Gus Gone", email="gus@example.com")
    gone.user.is_active = False
    await gone.user.save()
    nodes = await _listed(graphql, admin)
    assert _ids(nodes) == [gone.global_id, admin.global_id, alice.global_id]
    by_id = {node["id"]: node for node in nodes}
    assert by_id[gone.global_id] | {"createdAt": None} == {
        "id": gone.global_id,
        "name": None,
        "email": None,
        "createdAt": None,
        "isActive": False,
        "deactivatedAt": None,
        "deactivationReason": None,
        "staffPermissions": [],
    }
    # Their own row is theirs: name and address, read as its owner.
    assert (by_id[admin.global_id]["email"], by_id[admin.global_id]["staffPermissions"]) == (
        "ada@example.com",
        ["MANAGE_USERS"],
    )
    assert await AuditEntry.filter(action=AuditAction.PII_READ).count() == 0


async def test_the_email_filter_matches_the_normalised_address_exactly_and_is_audited(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    await users.create("Alicia", email="alice@example.org")
    found = await _listed(graphql, admin, email="  ALICE@Example.com ")
    assert _ids(found) == [alice.global_id]
    assert found[0]["email"] is None, "finding an account by its address shows no address"
    assert await audited(AuditAction.PII_READ) == [
        (admin.user.id, alice.user.id, {"fields": ["User.email"]})
    ]
    # No listing of addresses by their first letters.
    prefix = await graphql(USERS, {"filter": {"email": "alice"}}, token=admin.token)
    assert (prefix["data"], error_codes(prefix)) == (None, ["BAD_USER_INPUT"])


async def test_the_name_filter_matches_part_of_the_name_in_any_case(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    bob = await users.create("Bob Liddell-Smith", email="bob@example.com")
    await users.create("Carol", email="carol@example.com")
    found = await _listed(graphql, admin, name="liddell")
    assert _ids(found) == [bob.global_id, alice.global_id]
    reads = sorted(await audited(AuditAction.PII_READ), key=lambda row: row[1] or 0)
    assert reads == [
        (admin.user.id, alice.user.id, {"fields": ["User.name"]}),
        (admin.user.id, bob.user.id, {"fields": ["User.name"]}),
    ]
    assert await _listed(graphql, admin, name="100%") == []


async def test_the_staff_permission_filter_finds_the_holders(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    guard = await users.create("Sid Security", staff=[P.SECURITY, P.VIEW_PII])
    reader = await users.create("Pia Pii", staff=[P.VIEW_PII])
    assert _ids(await _listed(graphql, admin, staffPermission="SECURITY")) == [guard.global_id]
    assert _ids(await _listed(graphql, admin, staffPermission="VIEW_PII")) == [
        reader.global_id,
        guard.global_id,
    ]
    assert _ids(await _listed(graphql, admin, staffPermission="LEGAL")) == []
    both = await _listed(graphql, admin, staffPermission="VIEW_PII", name="pia")
    assert _ids(both) == [reader.global_id]


async def test_pages_follow_the_cursor(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    first = await graphql.data(USERS, {"first": 2}, token=admin.token)
    page = first["users"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    assert _ids([edge["node"] for edge in page["edges"]]) == [bob.global_id, admin.global_id]
    after = page["pageInfo"]["endCursor"]
    rest = (await graphql.data(USERS, {"first": 2, "after": after}, token=admin.token))["users"]
    assert _ids([edge["node"] for edge in rest["edges"]]) == [alice.global_id]
    assert rest["pageInfo"]["hasNextPage"] is False
    too_many = await graphql(USERS, {"first": 101}, token=admin.token)
    assert error_codes(too_many) == ["BAD_USER_INPUT"]


async def test_with_view_pii_too_staff_read_personal_fields_and_each_read_is_audited(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    staff = await users.create("Sam Staff", staff=[P.MANAGE_USERS, P.VIEW_PII])
    found = await _listed(graphql, staff, email="alice@example.com")
    assert [(node["name"], node["email"]) for node in found] == [
        ("Alice Liddell", "alice@example.com")
    ]
    assert await audited(AuditAction.PII_READ) == [
        (staff.user.id, alice.user.id, {"fields": ["User.email", "User.name"]})
    ]


async def test_users_and_the_mutations_refuse_callers_without_their_permission(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    reader = await users.create("Pia Pii", staff=[P.VIEW_PII])
    assert error_codes(await graphql(USERS)) == ["UNAUTHENTICATED"]
    for who in (alice, reader):
        assert error_codes(await graphql(USERS, token=who.token)) == ["FORBIDDEN"]
    deactivate = {"input": {"userId": alice.global_id, "reason": "FRAUD"}}
    grant = {"input": {"userId": alice.global_id, "permission": "SECURITY"}}
    for query, variables, who in (
        (DEACTIVATE, deactivate, reader),
        (REACTIVATE, {"input": {"userId": alice.global_id}}, reader),
        (GRANT, grant, admin),
        (REVOKE, grant, admin),
    ):
        refused = await graphql(query, variables, token=who.token)
        assert (refused["data"], error_codes(refused)) == (None, ["FORBIDDEN"])
    await alice.user.refresh_from_db()
    assert (alice.user.is_active, alice.user.staff_permissions) == (True, [])
    assert await AuditEntry.filter(action__in=[AuditAction.USER_DEACTIVATED]).count() == 0


async def test_account_staff_reach_a_deactivated_account_by_id_and_others_do_not(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, admin: SignedIn
) -> None:
    await _deactivate(graphql, admin, alice)
    reader = await users.create("Pia Pii", staff=[P.VIEW_PII])
    seen = await graphql.data(USER, {"id": alice.global_id}, token=admin.token)
    assert seen == {
        "user": {"id": alice.global_id, "isActive": False, "deactivationReason": "FRAUD"}
    }
    hidden = await graphql.data(USER, {"id": alice.global_id}, token=reader.token)
    assert hidden == {"user": None}


# Deactivation.


async def test_deactivation_ends_sessions_and_refuses_log_in_until_reactivation(
    graphql: GraphQLClient, alice: SignedIn, admin: SignedIn
) -> None:
    payload = await _deactivate(graphql, admin, alice)
    assert payload["errors"] == []
    assert (payload["user"]["isActive"], payload["user"]["deactivationReason"]) == (
        False,
        "FRAUD",
    )
    assert await graphql.data(ME, token=alice.token) == {"me": None}
    assert await log_in_codes(graphql, alice.user.email, PASSWORD) == ["ACCOUNT_DEACTIVATED"]
    # Only the password's holder learns why.
    assert await log_in_codes(graphql, alice.user.email, "not the password at all") == [
        "INVALID_CREDENTIALS"
    ]
    assert await audited(AuditAction.USER_DEACTIVATED) == [
        (admin.user.id, alice.user.id, {"reason": "FRAUD"})
    ]
    assert await audited(AuditAction.SESSIONS_REVOKED) == [
        (admin.user.id, alice.user.id, {"count": 1, "reason": "deactivated by staff"})
    ]
    again = await _deactivate(graphql, admin, alice)
    assert again["errors"] == []
    assert len(await audited(AuditAction.USER_DEACTIVATED)) == 1, "nothing changed"

    back = await _reactivate(graphql, admin, alice)
    assert back == {
        "user": {"id": alice.global_id, "isActive": True, "deactivatedAt": None},
        "errors": [],
    }
    assert await log_in_codes(graphql, alice.user.email, PASSWORD) == []
    assert await audited(AuditAction.USER_REACTIVATED) == [(admin.user.id, alice.user.id, {})]


async def test_staff_cannot_deactivate_themselves(graphql: GraphQLClient, admin: SignedIn) -> None:
    payload = await _deactivate(graphql, admin, admin)
    assert (payload["user"], codes(payload)) == (None, [("userId", "OWN_ACCOUNT")])
    assert await graphql.data(ME, token=admin.token) == {"me": {"id": admin.global_id}}
    assert await audited(AuditAction.USER_DEACTIVATED) == []


async def test_an_unknown_or_wrongly_typed_id_is_not_found(
    graphql: GraphQLClient, admin: SignedIn
) -> None:
    for user_id in (to_base64("User", 10**9), to_base64("Post", admin.user.id)):
        payload = await mutate(
            graphql, DEACTIVATE, "deactivateUser", admin, userId=user_id, reason="OTHER"
        )
        assert codes(payload) == [("userId", "NOT_FOUND")]


async def test_reactivating_an_account_scheduled_for_erasure_or_erased_is_refused(
    graphql: GraphQLClient,
    runtime: Runtime,
    mailbox: Mailbox,
    alice: SignedIn,
    admin: SignedIn,
) -> None:
    confirm_token, _ = await asked(graphql, mailbox, alice)
    await confirm(graphql, confirm_token)
    scheduled = await _reactivate(graphql, admin, alice)
    assert codes(scheduled) == [("userId", "ACCOUNT_SCHEDULED_FOR_ERASURE")]
    assert await log_in_codes(graphql, alice.user.email, PASSWORD) == [
        "ACCOUNT_SCHEDULED_FOR_ERASURE"
    ]

    assert await erase_after(runtime, timedelta(days=GRACE)) == 1
    for payload in (
        await _reactivate(graphql, admin, alice),
        await _deactivate(graphql, admin, alice),
    ):
        assert codes(payload) == [("userId", "ACCOUNT_ERASED")]
    assert await User.filter(id=alice.user.id, is_active=True).count() == 0
    assert await audited(AuditAction.USER_REACTIVATED) == []


async def test_cancelling_a_deletion_does_not_lift_a_staff_deactivation(
    graphql: GraphQLClient, mailbox: Mailbox, alice: SignedIn, admin: SignedIn
) -> None:
    confirm_token, cancel_token = await asked(graphql, mailbox, alice)
    await confirm(graphql, confirm_token)
    assert (await _deactivate(graphql, admin, alice))["errors"] == []
    assert (await cancel(graphql, cancel_token))["errors"] == []
    assert await log_in_codes(graphql, alice.user.email, PASSWORD) == ["ACCOUNT_DEACTIVATED"]
    assert (await _reactivate(graphql, admin, alice))["errors"] == []
    assert await log_in_codes(graphql, alice.user.email, PASSWORD) == []


# Staff permissions.


async def _security(
    graphql: GraphQLClient, query: str, field: str, chief: SignedIn, who: SignedIn
) -> dict[str, Any]:
    return await mutate(graphql, query, field, chief, userId=who.global_id, permission="SECURITY")


async def test_manage_staff_grants_and_revokes_once_each_and_both_are_audited(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    chief = await users.create("Cleo Chief", staff=[P.MANAGE_STAFF, P.MANAGE_USERS])
    audit_log = "{ auditLog { totalCount } }"
    assert error_codes(await graphql(audit_log, token=alice.token)) == ["FORBIDDEN"]

    granted = [
        await _security(graphql, GRANT, "grantStaffPermission", chief, alice) for _ in range(2)
    ]
    assert [(payload["changed"], payload["user"]["staffPermissions"]) for payload in granted] == [
        (True, ["SECURITY"]),
        (False, ["SECURITY"]),
    ]
    assert "errors" not in await graphql(audit_log, token=alice.token), "her next request has it"

    revoked = [
        await _security(graphql, REVOKE, "revokeStaffPermission", chief, alice) for _ in range(2)
    ]
    assert [(payload["changed"], payload["user"]["staffPermissions"]) for payload in revoked] == [
        (True, []),
        (False, []),
    ]
    assert error_codes(await graphql(audit_log, token=alice.token)) == ["FORBIDDEN"]
    assert await audited(AuditAction.STAFF_PERMISSION_GRANTED) == [
        (chief.user.id, alice.user.id, {"permission": "SECURITY"})
    ]
    assert await audited(AuditAction.STAFF_PERMISSION_REVOKED) == [
        (chief.user.id, alice.user.id, {"permission": "SECURITY"})
    ]


async def test_nobody_changes_their_own_staff_permissions(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    chief = await users.create("Cleo Chief", staff=[P.MANAGE_STAFF])
    for query, field, permission in (
        (GRANT, "grantStaffPermission", "SECURITY"),
        (REVOKE, "revokeStaffPermission", "MANAGE_STAFF"),
    ):
        payload = await mutate(
            graphql, query, field, chief, userId=chief.global_id, permission=permission
        )
        assert (payload["changed"], codes(payload)) == (False, [("userId", "OWN_ACCOUNT")])
    await chief.user.refresh_from_db()
    assert chief.user.staff_permissions == ["MANAGE_STAFF"]
    assert (
        await AuditEntry.filter(
            action__in=[AuditAction.STAFF_PERMISSION_GRANTED, AuditAction.STAFF_PERMISSION_REVOKED]
        ).count()
        == 0
    )

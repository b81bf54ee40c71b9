"""Partner apps call the API with keys of their own: shown once, kept only as a hash, limited
to their scopes, rotated with an overlap and revoked at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from core import clock
from models.audit import AuditAction, AuditEntry
from models.partner_apps import PartnerApp, PartnerKey
from tests.partner_apps.helpers import MENTORS, codes, create_partner_app, partner_manager
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import UserFactory

ROTATE = document("RotatePartnerKey")
REVOKE_KEY = document("RevokePartnerKey")
REVOKE_APP = document("RevokePartnerApp")
PARTNER_APPS = document("PartnerApps")
LIKE_POST = document("LikePost")
ME = "query Me { me { id } }"


async def test_staff_create_an_app_whose_key_is_shown_once_and_stored_as_a_hash(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    staff = await partner_manager(users)
    created = await create_partner_app(graphql, staff, "Calendar Sync", ["MARKETPLACE_READ"])

    key = created["key"]
    assert key.startswith("mpk_live_") and len(key) > 40
    assert created["partnerApp"]["name"] == "Calendar Sync"
    assert created["partnerApp"]["scopes"] == ["MARKETPLACE_READ"]
    stored = await PartnerKey.all().values()
    assert len(stored) == 1
    assert key not in str(stored)
    assert stored[0]["key_hash"] != key and len(stored[0]["key_hash"]) == 64
    listed = await graphql.data(PARTNER_APPS, token=staff.token)
    assert key not in str(listed)
    assert listed["partnerApps"]["edges"][0]["node"]["keys"][0]["hint"] == key[:16]
    body = await graphql(MENTORS, token=key)
    assert body == {"data": {"mentors": {"edges": []}}}


async def test_only_staff_who_manage_partners_create_apps(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    someone = await users.create()
    body = await graphql(
        document("CreatePartnerApp"),
        {"input": {"name": "Sneaky", "scopes": ["MARKETPLACE_READ"]}},
        token=someone.token,
    )
    assert codes(body) == ["FORBIDDEN"]
    assert await PartnerApp.all().count() == 0


async def test_a_read_only_key_cannot_call_a_mutation(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    staff = await partner_manager(users)
    key = (await create_partner_app(graphql, staff, "Reader", ["MARKETPLACE_READ"]))["key"]

    body = await graphql(LIKE_POST, {"input": {"postId": "UG9zdDox"}}, token=key)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "INSUFFICIENT_SCOPE",
        "scopes": ["user:write"],
    }
    assert "user:write" in body["errors"][0]["message"]

    # Under the current spec's media type, a refusal before execution is a 403.
    response = await http.post(
        "/graphql",
        json={"query": LIKE_POST, "variables": {"input": {"postId": "UG9zdDox"}}},
        headers={"Authorization": f"Bearer {key}", "Accept": "application/graphql-response+json"},
    )
    assert response.status == 403
    assert codes(await response.json()) == ["INSUFFICIENT_SCOPE"]


async def test_a_key_cannot_read_what_its_scopes_do_not_allow(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    staff = await partner_manager(users)
    key = (await create_partner_app(graphql, staff, "Reader", ["MARKETPLACE_READ"]))["key"]

    me = await graphql(ME, token=key)
    assert me["data"] is None
    assert me["errors"][0]["extensions"] == {"code": "INSUFFICIENT_SCOPE", "scopes": ["user:read"]}
    # A field no scope opens is closed to every partner, and hiding it in a fragment or
    # next to an allowed field changes nothing: the whole operation is refused.
    staff_list = await graphql(
        "query Sneaky { mentors(first: 1) { edges { node { id } } } ...F }"
        " fragment F on Query { partnerApps(first: 1) { edges { node { id } } } }",
        token=key,
    )
    assert staff_list["data"] is None
    assert staff_list["errors"][0]["extensions"] == {
        "code": "INSUFFICIENT_SCOPE",
        "fields": ["partnerApps"],
    }
    # Introspection describes the public schema and stays open.
    typename = await graphql("query T { __typename }", token=key)
    assert typename == {"data": {"__typename": "Query"}}


async def test_rotation_keeps_the_old_key_working_until_the_overlap_ends(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    staff = await partner_manager(users)
    created = await create_partner_app(graphql, staff, "Rotator", ["MARKETPLACE_READ"])
    old_key = created["key"]

    rotated = await graphql.data(
        ROTATE,
        {"input": {"appId": created["partnerApp"]["id"], "overlapSeconds": 600}},
        token=staff.token,
    )
    new_key = rotated["rotatePartnerKey"]["key"]
    assert new_key.startswith("mpk_live_") and new_key != old_key
    assert "errors" not in await graphql(MENTORS, token=old_key)
    assert "errors" not in await graphql(MENTORS, token=new_key)

    with clock.moved_clock(timedelta(seconds=601)):
        expired = await graphql(MENTORS, token=old_key)
        assert expired["data"] is None
        assert codes(expired) == ["UNAUTHENTICATED"]
        assert "errors" not in await graphql(MENTORS, token=new_key)


async def test_a_revoked_key_or_app_is_refused_on_the_next_request(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    staff = await partner_manager(users)
    created = await create_partner_app(graphql, staff, "Leaky", ["MARKETPLACE_READ"])
    app_id, first_key = created["partnerApp"]["id"], created["key"]
    rotated = await graphql.data(
        ROTATE, {"input": {"appId": app_id, "overlapSeconds": 3600}}, token=staff.token
    )
    second_key = rotated["rotatePartnerKey"]["key"]
    listed = await graphql.data(PARTNER_APPS, token=staff.token)
    first_key_id = listed["partnerApps"]["edges"][0]["node"]["keys"][1]["id"]

    revoked = await graphql.data(REVOKE_KEY, {"input": {"keyId": first_key_id}}, token=staff.token)
    assert revoked["revokePartnerKey"]["partnerKey"]["revokedAt"] is not None
    assert codes(await graphql(MENTORS, token=first_key)) == ["UNAUTHENTICATED"]
    assert "errors" not in await graphql(MENTORS, token=second_key)

    await graphql.data(REVOKE_APP, {"input": {"appId": app_id}}, token=staff.token)
    assert codes(await graphql(MENTORS, token=second_key)) == ["UNAUTHENTICATED"]
    # A made-up key with the prefix is refused the same way, never served as anonymous.
    assert codes(await graphql(MENTORS, token="mpk_live_made-up")) == ["UNAUTHENTICATED"]


async def test_each_app_has_its_own_audit_trail(graphql: GraphQLClient, users: UserFactory) -> None:
    staff = await partner_manager(users)
    first = await create_partner_app(graphql, staff, "First", ["MARKETPLACE_READ"])
    await create_partner_app(graphql, staff, "Second", ["MARKETPLACE_READ"])
    app_id = first["partnerApp"]["id"]
    await graphql.data(ROTATE, {"input": {"appId": app_id, "overlapSeconds": 0}}, token=staff.token)
    await graphql.data(REVOKE_APP, {"input": {"appId": app_id}}, token=staff.token)

    listed = await graphql.data(PARTNER_APPS, token=staff.token)
    trails = {
        edge["node"]["name"]: [e["node"] for e in edge["node"]["auditTrail"]["edges"]]
        for edge in listed["partnerApps"]["edges"]
    }
    assert [entry["action"] for entry in trails["First"]] == [
        "PARTNER_APP_REVOKED",
        "PARTNER_KEY_ISSUED",
        "PARTNER_KEY_ISSUED",
        "PARTNER_APP_CREATED",
    ]
    assert {entry["partnerAppId"] for entry in trails["First"]} == {app_id}
    assert [entry["action"] for entry in trails["Second"]] == [
        "PARTNER_KEY_ISSUED",
        "PARTNER_APP_CREATED",
    ]
    actors = await AuditEntry.filter(action=AuditAction.PARTNER_APP_CREATED).values_list(
        "actor_id", flat=True
    )
    assert actors == [staff.user.id, staff.user.id]

"""Who sees whom: private client profiles and personal fields hidden field by field (P2)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.marketplace import MentorProfile, Post, PostStatus
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P2")

USER = document("User")
# The same person through node(): it selects what the User document selects.
NODE = """
query Node($id: ID!) {
  node(id: $id) { id ... on User { name email photoUrl timezone language expertise } }
}
"""
# What the User document reads of Alice beyond id, name and email: she set none of it.
ALICES_UNSET_PROFILE = {"photoUrl": None, "timezone": None, "language": None, "expertise": []}


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice Liddell", email="alice@example.com")


async def test_another_client_and_an_anonymous_caller_get_null_without_error(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    for token in (bob.token, None):
        assert await graphql(USER, {"id": alice.global_id}, token=token) == {"data": {"user": None}}
        assert await graphql(NODE, {"id": alice.global_id}, token=token) == {"data": {"node": None}}


async def test_a_missing_id_answers_exactly_like_an_invisible_one(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    missing = to_base64("User", alice.user.id + 1000)
    not_a_node = to_base64("Nothing", alice.user.id)
    for query in (USER, NODE):
        invisible = await graphql(query, {"id": alice.global_id}, token=bob.token)
        for other in (missing, not_a_node, to_base64("User", "abc"), to_base64("User", 2**70)):
            assert await graphql(query, {"id": other}, token=bob.token) == invisible


async def test_an_id_of_any_type_with_non_ascii_digits_names_nothing(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    for type_name in ("User", "Mentor", "Job", "Post", "Testimonial", "Payment", "PaymentMethod"):
        for digits in ("\u00b2", "\u0663"):  # "²" and an Arabic-Indic three: isdigit() is true
            body = await graphql(NODE, {"id": to_base64(type_name, digits)}, token=alice.token)
            assert body == {"data": {"node": None}}, type_name


async def test_alice_sees_her_own_email(graphql: GraphQLClient, alice: SignedIn) -> None:
    expected = {
        "id": alice.global_id,
        "email": "alice@example.com",
        "name": "Alice Liddell",
        **ALICES_UNSET_PROFILE,
    }
    assert await graphql.data(USER, {"id": alice.global_id}, token=alice.token) == {
        "user": expected
    }
    assert await graphql.data(NODE, {"id": alice.global_id}, token=alice.token) == {
        "node": expected
    }
    # Reading your own data is not a staff read: nothing to audit.
    assert await AuditEntry.filter(action=AuditAction.PII_READ).count() == 0


async def test_staff_with_view_pii_reads_personal_fields_and_each_operation_is_audited(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    staff = await users.create("Sam Staff", staff=[StaffPermission.VIEW_PII])
    for query, field in ((USER, "user"), (NODE, "node")):
        data = await graphql.data(query, {"id": alice.global_id}, token=staff.token)
        assert data[field] == {
            "id": alice.global_id,
            "email": "alice@example.com",
            "name": "Alice Liddell",
            **ALICES_UNSET_PROFILE,
        }
    entries = await AuditEntry.filter(action=AuditAction.PII_READ).order_by("id")
    fields_read = [
        "User.email",
        "User.expertise",
        "User.language",
        "User.name",
        "User.photo_key",
        "User.timezone",
    ]
    assert [
        (entry.actor_id, entry.subject_id, entry.detail, entry.request_id is not None)
        for entry in entries
    ] == [(staff.user.id, alice.user.id, {"fields": fields_read}, True)] * 2


async def test_one_audit_row_per_person_read_in_one_operation(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    staff = await users.create("Sam Staff", staff=[StaffPermission.VIEW_PII])
    query = """
    query Two($a: ID!, $b: ID!) {
      a: user(id: $a) { email }
      again: user(id: $a) { email name }
      b: user(id: $b) { email }
    }
    """
    await graphql.data(query, {"a": alice.global_id, "b": bob.global_id}, token=staff.token)
    entries = await AuditEntry.filter(action=AuditAction.PII_READ).order_by("subject_id")
    assert [(entry.subject_id, entry.detail["fields"]) for entry in entries] == [
        (alice.user.id, ["User.email", "User.name"]),
        (bob.user.id, ["User.email"]),
    ]


async def test_staff_who_manage_users_see_the_account_but_not_its_email(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    staff = await users.create("Max Manager", staff=[StaffPermission.MANAGE_USERS])
    body: dict[str, Any] = await graphql(USER, {"id": alice.global_id}, token=staff.token)
    assert body == {
        "data": {
            "user": {
                "id": alice.global_id,
                "name": None,
                "email": None,
                "photoUrl": None,
                "timezone": None,
                "language": None,
                "expertise": None,
            }
        }
    }
    assert await AuditEntry.filter(action=AuditAction.PII_READ).count() == 0


async def test_a_deactivated_account_is_null_even_for_staff(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    staff = await users.create("Sam Staff", staff=[StaffPermission.VIEW_PII])
    alice.user.is_active = False
    await alice.user.save()
    assert await graphql(USER, {"id": alice.global_id}, token=staff.token) == {
        "data": {"user": None}
    }


async def test_a_staff_read_before_logging_out_in_the_same_operation_is_audited(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    await MentorProfile.create(user=alice.user, headline="Wonderland guide")
    post = await Post.create(author=alice.user, title="t", body="b", status=PostStatus.PUBLISHED)
    staff = await users.create("Sam Staff", staff=[StaffPermission.VIEW_PII])
    read_then_leave = """
    mutation ReadThenLeave($id: ID!) {
      unlikePost(input: {postId: $id}) { post { author { user { email } } } }
      logOut { revokedSessions }
    }
    """
    data = await graphql.data(
        read_then_leave, {"id": to_base64("Post", post.id)}, token=staff.token
    )
    assert data["unlikePost"]["post"]["author"]["user"]["email"] == "alice@example.com"
    assert data["logOut"]["revokedSessions"] == 1

    audited = await AuditEntry.filter(action=AuditAction.PII_READ)
    assert [(row.actor_id, row.subject_id) for row in audited] == [(staff.user.id, alice.user.id)]

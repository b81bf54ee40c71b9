"""Your notifications: newest first, unread ones, marking them read, the unread count (P10)."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry.relay import to_base64

from core import limits
from tests.marketplace.helpers import become_mentor, request_job
from tests.notifications.helpers import MARK_READ, notifications_of, unread_count
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P10")


async def _mentor_with_requests(
    graphql: GraphQLClient, users: UserFactory, count: int
) -> tuple[SignedIn, SignedIn, list[str]]:
    """A mentor that ``count`` requests have notified; the ids of those, newest first."""
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor)
    for number in range(count):
        await request_job(graphql, client, mentor_id, f"Request {number}")
    ids = [node["id"] for node in await notifications_of(graphql, mentor)]
    return client, mentor, ids


async def _mark(graphql: GraphQLClient, who: SignedIn, **given: Any) -> dict[str, Any]:
    body = await graphql(MARK_READ, {"input": given}, token=who.token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["markNotificationsRead"]
    return payload


async def test_newest_first_paged_and_counted(graphql: GraphQLClient, users: UserFactory) -> None:
    _, mentor, ids = await _mentor_with_requests(graphql, users, 3)
    first_page = await graphql.data(
        "query { notifications(first: 2) { totalCount edges { node { id job { description } } } "
        "pageInfo { hasNextPage } } }",
        token=mentor.token,
    )
    page = first_page["notifications"]
    assert [edge["node"]["job"]["description"] for edge in page["edges"]] == [
        "Request 2",
        "Request 1",
    ]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    assert [edge["node"]["id"] for edge in page["edges"]] == ids[:2]
    assert await unread_count(graphql, mentor) == 3


async def test_marking_some_read_then_all(graphql: GraphQLClient, users: UserFactory) -> None:
    _, mentor, ids = await _mentor_with_requests(graphql, users, 3)

    marked = await _mark(graphql, mentor, ids=[ids[1]])
    assert [n["id"] for n in marked["notifications"]] == [ids[1]]
    assert marked["notifications"][0]["readAt"] is not None
    assert (marked["unreadCount"], marked["errors"]) == (2, [])
    unread = await notifications_of(graphql, mentor, unreadOnly=True)
    assert [node["id"] for node in unread] == [ids[0], ids[2]]

    everything = await _mark(graphql, mentor, all=True)
    assert everything == {"notifications": [], "unreadCount": 0, "errors": []}
    assert await notifications_of(graphql, mentor, unreadOnly=True) == []
    assert len(await notifications_of(graphql, mentor)) == 3


async def test_marking_read_again_keeps_when_it_was_first_read(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    _, mentor, ids = await _mentor_with_requests(graphql, users, 1)
    first = (await _mark(graphql, mentor, ids=ids))["notifications"][0]["readAt"]
    again = (await _mark(graphql, mentor, ids=ids))["notifications"][0]["readAt"]
    assert again == first


async def test_someone_elses_notification_cannot_be_marked_and_is_not_found(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    """Another user's id answers exactly as a missing one, and nothing changes."""
    client, mentor, ids = await _mentor_with_requests(graphql, users, 2)
    missing = to_base64("Notification", 999_999)
    for given in ([ids[0]], [missing], [ids[0], missing]):
        refused = await _mark(graphql, client, ids=given)
        assert refused["errors"] == [
            {"field": "ids", "code": "NOT_FOUND", "message": "No such notification."}
        ]
    partly_mine = await _mark(graphql, mentor, ids=[ids[0], missing])
    assert partly_mine["errors"][0]["code"] == "NOT_FOUND"
    assert await unread_count(graphql, mentor) == 2


@pytest.mark.parametrize(
    "given",
    [{}, {"all": True, "ids": []}, {"ids": [to_base64("Notification", 1)] * 2, "all": True}],
)
async def test_either_ids_or_all(
    graphql: GraphQLClient, users: UserFactory, given: dict[str, Any]
) -> None:
    _, mentor, _ = await _mentor_with_requests(graphql, users, 1)
    refused = await _mark(graphql, mentor, **given)
    assert refused["errors"] == [
        {"field": "ids", "code": "BAD_USER_INPUT", "message": "Send either `ids` or `all: true`."}
    ]
    assert await unread_count(graphql, mentor) == 1


async def test_at_most_a_page_of_ids_at_once(graphql: GraphQLClient, users: UserFactory) -> None:
    mentor = await users.create("Mona Mentor")
    too_many = [to_base64("Notification", n) for n in range(1, limits.MAX_NOTIFICATIONS_MARKED + 2)]
    refused = await _mark(graphql, mentor, ids=too_many)
    assert refused["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_notifications_are_for_the_signed_in(graphql: GraphQLClient) -> None:
    body = await graphql("{ notifications { edges { node { id } } } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    marked = await graphql(MARK_READ, {"input": {"all": True}})
    assert error_codes(marked) == ["UNAUTHENTICATED"]
    assert (await graphql.data("{ me { unreadNotificationCount } }")) == {"me": None}


async def test_nobody_else_reads_your_unread_count(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    """The mentor sees their client, but not how many notifications the client has."""
    client, mentor, _ = await _mentor_with_requests(graphql, users, 1)
    query = "query U($id: ID!) { user(id: $id) { name unreadNotificationCount } }"
    seen = await graphql.data(query, {"id": to_base64("User", client.user.id)}, token=mentor.token)
    assert seen == {"user": {"name": "Carla Client", "unreadNotificationCount": None}}

"""Keyset pages: a cursor names a row's place in its list's order, so rows inserted while a
client pages neither repeat nor vanish; ``last``/``before`` page backwards; a cursor the
server did not make for that list and order is BAD_USER_INPUT."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.accounts import User
from models.marketplace import MentorProfile, Post, PostLike, PostStatus
from tests.marketplace.helpers import become_mentor
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

PAGE_INFO = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
PAGE_ARGUMENTS = "first: $first, after: $after, last: $last, before: $before"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"
MENTORS = f"""query Mentors({VARIABLES}, $order: MentorOrder) {{
  list: mentors({PAGE_ARGUMENTS}, orderBy: $order) {{
    {PAGE_INFO} edges {{ cursor node {{ name }} }} }} }}"""
POSTS = f"""query Posts({VARIABLES}) {{
  list: posts({PAGE_ARGUMENTS}) {{ {PAGE_INFO} edges {{ cursor node {{ name: title }} }} }} }}"""
MENTOR_POSTS = f"""query MentorPosts($id: ID!, {VARIABLES}) {{
  mentor(id: $id) {{ list: posts({PAGE_ARGUMENTS}) {{
    {PAGE_INFO} edges {{ cursor node {{ name: title }} }} }} }} }}"""
POSTS_ON_A_PAGE = f"""query PostsOnAPage({VARIABLES}) {{
  mentors(first: 1) {{ edges {{ node {{ posts({PAGE_ARGUMENTS}) {{ totalCount }} }} }} }} }}"""
LIKED_POSTS = f"""query Liked({VARIABLES}) {{
  me {{ list: likedPosts({PAGE_ARGUMENTS}) {{
    {PAGE_INFO} edges {{ cursor node {{ name: title }} }} }} }} }}"""

Insert = Callable[[int], Awaitable[None]]
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _list(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (data.get("mentor") or data.get("me") or data)["list"]
    return found


def _names(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in page["edges"]]


async def _page_forwards(
    graphql: GraphQLClient,
    query: str,
    variables: dict[str, Any],
    *,
    size: int,
    token: str | None = None,
    between_pages: Insert | None = None,
) -> list[list[str]]:
    """Every page from the start, following ``endCursor``; ``between_pages`` runs after each."""
    pages: list[list[str]] = []
    after = None
    while True:
        data = await graphql.data(query, {**variables, "first": size, "after": after}, token=token)
        page = _list(data)
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages.append(_names(page))
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
        if between_pages is not None:
            await between_pages(len(pages))


async def _page_backwards(
    graphql: GraphQLClient, query: str, variables: dict[str, Any], *, size: int
) -> list[list[str]]:
    """Every page from the end, following ``startCursor``."""
    pages: list[list[str]] = []
    before = None
    while True:
        data = await graphql.data(query, {**variables, "last": size, "before": before})
        page = _list(data)
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        pages.insert(0, _names(page))
        if not page["pageInfo"]["hasPreviousPage"]:
            return pages
        before = page["pageInfo"]["startCursor"]


def _flat(pages: list[list[str]]) -> list[str]:
    return [name for page in pages for name in page]


async def _mentor(name: str, rate: int | None = None) -> MentorProfile:
    user = await User.create(email=f"{name.replace(' ', '.').lower()}@example.com", name=name)
    return await MentorProfile.create(user=user, hourly_rate_cents=rate, currency="EUR")


async def _post(author: User, title: str, published_at: datetime) -> Post:
    return await Post.create(
        author=author,
        title=title,
        body="b",
        status=PostStatus.PUBLISHED,
        published_at=published_at,
    )


async def test_mentors_who_join_while_a_client_pages_shift_nobody_onto_the_next_page(
    graphql: GraphQLClient,
) -> None:
    for index in range(7):
        await _mentor(f"Mentor {index}")

    async def newcomer(page: int) -> None:
        await _mentor(f"Newcomer {page}")  # the newest: before the cursor

    pages = await _page_forwards(graphql, MENTORS, {}, size=2, between_pages=newcomer)
    assert pages == [
        ["Mentor 6", "Mentor 5"],
        ["Mentor 4", "Mentor 3"],
        ["Mentor 2", "Mentor 1"],
        ["Mentor 0"],
    ]
    assert _list(await graphql.data(MENTORS, {"first": 1}))["totalCount"] == 10


@pytest.mark.parametrize("order", ["HOURLY_RATE_ASC", "HOURLY_RATE_DESC"])
async def test_mentors_by_rate_page_through_equal_and_missing_rates_once_each(
    graphql: GraphQLClient, order: str
) -> None:
    rates = [3000, 5000, 5000, None, 5000, 8000, None, 1000]
    for index, rate in enumerate(rates):
        await _mentor(f"Mentor {index}", rate)
    whole = _names(_list(await graphql.data(MENTORS, {"order": order, "first": 100})))
    assert [name for name in whole if name in ("Mentor 1", "Mentor 2", "Mentor 4")] == (
        ["Mentor 1", "Mentor 2", "Mentor 4"]
        if order == "HOURLY_RATE_ASC"
        else ["Mentor 4", "Mentor 2", "Mentor 1"]
    )

    async def cheaper_and_dearer(page: int) -> None:
        await _mentor(f"Cheapest {page}", 100)
        await _mentor(f"Dearest {page}", 90000)

    pages = await _page_forwards(
        graphql, MENTORS, {"order": order}, size=3, between_pages=cheaper_and_dearer
    )
    seen = _flat(pages)
    assert [name for name in seen if name.startswith("Mentor")] == whole
    joined = [name for name in seen if not name.startswith("Mentor")]
    # Those joining behind the cursor show up once on a later page; those ahead of it never.
    assert len(joined) == len(set(joined))
    assert all(
        name.startswith("Dearest" if order.endswith("ASC") else "Cheapest") for name in joined
    )


async def test_a_mentors_posts_page_on_past_posts_published_meanwhile(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    author = await users.create("Ada Author")
    mentor_id = await become_mentor(graphql, author)
    # Three posts share one instant: the post id orders them.
    for index, minutes in enumerate([0, 10, 10, 10, 20, 30]):
        await _post(author.user, f"Post {index}", T0 + timedelta(minutes=minutes))

    async def publish_meanwhile(page: int) -> None:
        if page < 3:
            await _post(author.user, f"New {page}", T0 + timedelta(days=page))  # ahead of it
            await _post(author.user, f"Late {page}", T0 - timedelta(days=page))  # behind it

    pages = await _page_forwards(
        graphql, MENTOR_POSTS, {"id": mentor_id}, size=2, between_pages=publish_meanwhile
    )
    assert pages == [
        ["Post 5", "Post 4"],
        ["Post 3", "Post 2"],
        ["Post 1", "Post 0"],
        ["Late 1", "Late 2"],
    ]


async def test_liked_posts_page_by_the_time_of_each_like(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    reader = await users.create("Rea Reader")
    author = await users.create("Ada Author")
    await become_mentor(graphql, author)
    posts = [await _post(author.user, f"Post {index}", T0) for index in range(8)]
    liked_at = [T0 + timedelta(minutes=minutes) for minutes in (5, 1, 3, 3, 3, 2)]
    for post, moment in zip(posts, liked_at, strict=False):
        like = await PostLike.create(post=post, user=reader.user)
        await PostLike.filter(id=like.id).update(created_at=moment)
    later = iter(posts[6:])

    async def like_another(page: int) -> None:
        await PostLike.create(post=next(later), user=reader.user)  # the newest like: ahead

    pages = await _page_forwards(
        graphql, LIKED_POSTS, {}, size=2, token=reader.token, between_pages=like_another
    )
    assert pages == [["Post 0", "Post 4"], ["Post 3", "Post 2"], ["Post 5", "Post 1"]]


async def test_last_and_before_page_backwards_through_the_same_list(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    author = await users.create("Ada Author")
    await become_mentor(graphql, author)
    for index, minutes in enumerate([0, 10, 10, 10, 20]):
        await _post(author.user, f"Post {index}", T0 + timedelta(minutes=minutes))
    forwards = await _page_forwards(graphql, POSTS, {}, size=2)
    assert forwards == [["Post 4", "Post 3"], ["Post 2", "Post 1"], ["Post 0"]]
    assert await _page_backwards(graphql, POSTS, {}, size=2) == [
        ["Post 4"],
        ["Post 3", "Post 2"],
        ["Post 1", "Post 0"],
    ]
    # Between two cursors: what lies after one and before the other, with items either side.
    first = _list(await graphql.data(POSTS, {"first": 5}))["edges"]
    between = _list(
        await graphql.data(POSTS, {"after": first[0]["cursor"], "before": first[4]["cursor"]})
    )
    assert _names(between) == ["Post 3", "Post 2", "Post 1"]
    assert (between["pageInfo"]["hasPreviousPage"], between["pageInfo"]["hasNextPage"]) == (
        True,
        True,
    )
    assert between["totalCount"] == 5


async def test_first_and_last_together_are_refused(graphql: GraphQLClient) -> None:
    body = await graphql(POSTS, {"first": 2, "last": 2})
    assert [(e["extensions"], e["message"]) for e in body["errors"]] == [
        (
            {"code": "BAD_USER_INPUT", "field": "last"},
            "Give `first` (to page forwards) or `last` (to page backwards), not both.",
        )
    ]


def _tampered(cursor: str) -> list[str]:
    """A real cursor changed the ways a client might: one character, cut short, re-encoded
    with its bytes altered, an offset cursor of old, and plain junk."""
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[3] ^= 1
    return [
        flipped,
        cursor[:-4],
        base64.urlsafe_b64encode(bytes(raw)).decode(),
        base64.b64encode(b"arrayconnection:2").decode(),
        "not a cursor",
        "A" * 10_000,
    ]


async def test_a_tampered_or_foreign_cursor_is_bad_user_input(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    author: SignedIn = await users.create("Ada Author")
    mentor_id = await become_mentor(graphql, author)
    for index in range(3):
        await _post(author.user, f"Post {index}", T0 + timedelta(minutes=index))
    post_cursor = _list(await graphql.data(POSTS, {"first": 1}))["pageInfo"]["endCursor"]
    mentor_cursor = _list(await graphql.data(MENTORS, {"first": 1}))["pageInfo"]["endCursor"]
    nested_cursor = _list(await graphql.data(MENTOR_POSTS, {"id": mentor_id, "first": 1}))[
        "pageInfo"
    ]["endCursor"]
    refused: list[tuple[str, dict[str, Any], str]] = [
        (POSTS, {}, cursor) for cursor in _tampered(post_cursor)
    ]
    refused += [
        (MENTORS, {}, post_cursor),  # another list's
        (MENTORS, {"order": "HOURLY_RATE_ASC"}, mentor_cursor),  # another order's
        (MENTOR_POSTS, {"id": mentor_id}, post_cursor),  # the root list's, on the nested one
        (POSTS_ON_A_PAGE, {}, post_cursor),  # the same, read ahead for a page of mentors
        (POSTS, {}, nested_cursor),
    ]
    for query, variables, cursor in refused:
        for argument in ("after", "before"):
            body = await graphql(query, {**variables, argument: cursor})
            assert [e["extensions"] for e in body["errors"]] == [
                {"code": "BAD_USER_INPUT", "field": argument}
            ], (variables, cursor, body)
            assert error_codes(body) == ["BAD_USER_INPUT"]
    assert _names(_list(await graphql.data(POSTS, {"after": post_cursor}))) == [
        "Post 1",
        "Post 0",
    ]


LISTS = """{ __schema { types { name kind description
  fields { name description type { name kind ofType { name kind ofType { name } } }
    args { name description } } } } }"""


async def test_every_list_is_a_described_connection_with_an_edge_of_its_own(
    graphql: GraphQLClient,
) -> None:
    types = {found["name"]: found for found in (await graphql.data(LISTS))["__schema"]["types"]}
    connections = {name for name in types if name.endswith("Connection")}
    edges = {f"{name.removesuffix('Connection')}Edge" for name in connections}
    assert edges <= set(types)
    for name in connections | edges | {"PageInfo"}:
        assert types[name]["description"], name
        assert all(field["description"] for field in types[name]["fields"]), name
    described = [types[edge]["description"] for edge in edges]
    assert len(set(described)) == len(described)
    for edge in edges:
        assert edge.removesuffix("Edge") in types[edge]["description"]
    lists = [
        (owner["name"], field)
        for owner in types.values()
        for field in owner["fields"] or []
        if (field["type"]["name"] or field["type"]["ofType"]["name"]) in connections
    ]
    assert len(lists) >= 25
    for owner, field in lists:
        paging = {arg["name"]: arg["description"] for arg in field["args"]}
        assert {"first", "after", "last", "before"} <= set(paging), (owner, field["name"])
        assert all(paging[name] for name in ("first", "after", "last", "before"))

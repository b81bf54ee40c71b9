"""Posts: drafts belong to their author alone, published posts to everyone; likes (P4), views."""

from __future__ import annotations

from typing import Any

import pytest

from models.marketplace import PostLike
from tests.marketplace.helpers import become_mentor, row_id
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

CREATE = document("CreatePost")
UPDATE = document("UpdatePost")
PUBLISH = document("PublishPost")
DELETE = document("DeletePost")
LIKE = document("LikePost")
UNLIKE = document("UnlikePost")
POST = document("Post")
POSTS = document("Posts")


def _titles(posts: dict[str, Any]) -> list[str]:
    return [edge["node"]["title"] for edge in posts["edges"]]


async def _draft(graphql: GraphQLClient, author: SignedIn, title: str, **extra: Any) -> str:
    data = await graphql.data(
        CREATE, {"input": {"title": title, "body": "Text", **extra}}, token=author.token
    )
    assert data["createPost"]["errors"] == []
    post_id: str = data["createPost"]["post"]["id"]
    return post_id


async def _published(graphql: GraphQLClient, author: SignedIn, title: str, **extra: Any) -> str:
    post_id = await _draft(graphql, author, title, **extra)
    data = await graphql.data(PUBLISH, {"input": {"postId": post_id}}, token=author.token)
    assert data["publishPost"]["errors"] == []
    return post_id


@pytest.fixture
async def author(graphql: GraphQLClient, users: UserFactory) -> SignedIn:
    mentor = await users.create("Ada Author")
    await become_mentor(graphql, mentor)
    return mentor


async def test_a_draft_exists_for_its_author_alone_until_published(
    graphql: GraphQLClient, users: UserFactory, author: SignedIn
) -> None:
    reader = await users.create("Reader")
    post_id = await _draft(graphql, author, "Notes")
    for token in (None, reader.token):
        assert await graphql.data(POST, {"id": post_id}, token=token) == {"post": None}
        assert (await graphql.data(POSTS, token=token))["posts"]["totalCount"] == 0
    mine = await graphql.data(POST, {"id": post_id}, token=author.token)
    assert mine["post"]["title"] == "Notes"
    await graphql.data(PUBLISH, {"input": {"postId": post_id}}, token=author.token)
    listed = (await graphql.data(POSTS, token=reader.token))["posts"]
    assert (listed["totalCount"], _titles(listed)) == (1, ["Notes"])


async def test_only_mentors_write_posts(graphql: GraphQLClient, users: UserFactory) -> None:
    client = await users.create("Client")
    body = await graphql(CREATE, {"input": {"title": "x", "body": "y"}}, token=client.token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


async def test_others_cannot_edit_publish_or_delete_and_drafts_look_missing(
    graphql: GraphQLClient, users: UserFactory, author: SignedIn
) -> None:
    other = await users.create("Other")
    await become_mentor(graphql, other)
    draft = await _draft(graphql, author, "Draft")
    published = await _published(graphql, author, "Live")
    for mutation, name in ((PUBLISH, "publishPost"), (DELETE, "deletePost")):
        missing = await graphql.data(mutation, {"input": {"postId": draft}}, token=other.token)
        assert missing[name]["errors"] == [
            {"field": "id", "code": "NOT_FOUND", "message": "No such post."}
        ]
    refused = await graphql(
        UPDATE, {"input": {"postId": published, "title": "Mine now"}}, token=other.token
    )
    assert error_codes(refused) == ["FORBIDDEN"]
    mine = await graphql.data(POSTS, token=author.token)
    assert sorted(_titles(mine["posts"])) == ["Draft", "Live"]


async def test_the_author_edits_and_deletes(graphql: GraphQLClient, author: SignedIn) -> None:
    post_id = await _published(graphql, author, "Old")
    edited = await graphql.data(
        UPDATE, {"input": {"postId": post_id, "title": "New"}}, token=author.token
    )
    post = edited["updatePost"]["post"]
    assert {field: post[field] for field in ("id", "title", "body")} == {
        "id": post_id,
        "title": "New",
        "body": "Text",
    }
    assert edited["updatePost"]["errors"] == []
    again = await graphql.data(PUBLISH, {"input": {"postId": post_id}}, token=author.token)
    assert again["publishPost"]["errors"][0]["code"] == "CONFLICT"
    deleted = await graphql.data(DELETE, {"input": {"postId": post_id}}, token=author.token)
    assert deleted["deletePost"] == {"deletedPostId": post_id, "errors": []}
    assert await graphql.data(POST, {"id": post_id}) == {"post": None}


@pytest.mark.promise("P4")
async def test_a_like_is_recorded_once_per_user_and_unlike_takes_it_back(
    graphql: GraphQLClient, users: UserFactory, author: SignedIn
) -> None:
    post_id = await _published(graphql, author, "Likeable")
    fan, other_fan = await users.create("Fan"), await users.create("Other fan")
    for _ in range(2):
        liked = await graphql.data(LIKE, {"input": {"postId": post_id}}, token=fan.token)
        assert liked["likePost"] == {
            "post": {"id": post_id, "likeCount": 1, "viewerHasLiked": True},
            "errors": [],
        }
    liked = await graphql.data(LIKE, {"input": {"postId": post_id}}, token=other_fan.token)
    assert liked["likePost"]["post"] == {"id": post_id, "likeCount": 2, "viewerHasLiked": True}
    assert sorted(
        await PostLike.filter(post_id=row_id(post_id)).values_list("user_id", flat=True)
    ) == sorted([fan.user.id, other_fan.user.id])
    for _ in range(2):
        unliked = await graphql.data(UNLIKE, {"input": {"postId": post_id}}, token=fan.token)
        assert unliked["unlikePost"]["post"] == {
            "id": post_id,
            "likeCount": 1,
            "viewerHasLiked": False,
        }
    anonymous = await graphql(LIKE, {"input": {"postId": post_id}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_a_draft_cannot_be_liked(graphql: GraphQLClient, author: SignedIn) -> None:
    draft = await _draft(graphql, author, "Draft")
    body = await graphql.data(LIKE, {"input": {"postId": draft}}, token=author.token)
    assert body["likePost"]["errors"][0]["code"] == "CONFLICT"


async def test_each_read_of_a_published_post_counts_one_view(
    graphql: GraphQLClient, author: SignedIn
) -> None:
    post_id = await _published(graphql, author, "Popular")
    counts = [(await graphql.data(POST, {"id": post_id}))["post"]["viewCount"] for _ in range(3)]
    assert counts == [1, 2, 3]
    assert (await graphql.data(POST, {"id": post_id}))["post"]["author"]["name"] == "Ada Author"


async def test_posts_filter_by_author_and_tag(
    graphql: GraphQLClient, users: UserFactory, author: SignedIn
) -> None:
    other = await users.create("Other")
    other_mentor_id = await become_mentor(graphql, other)
    await _published(graphql, author, "Async Python", tags=["Python", "asyncio"])
    await _published(graphql, other, "Rust ownership", tags=["rust"])
    await _published(graphql, other, "Python typing", tags=["python"])

    async def titles(filter: dict[str, Any]) -> list[str]:
        return _titles((await graphql.data(POSTS, {"filter": filter}))["posts"])

    assert await titles({"tag": "python"}) == ["Python typing", "Async Python"]
    assert await titles({"author": other_mentor_id}) == ["Python typing", "Rust ownership"]
    assert await titles({"author": other_mentor_id, "tag": "python"}) == ["Python typing"]

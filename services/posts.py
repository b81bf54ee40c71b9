"""Posts: mentors write drafts, publish them, everyone reads published ones, users like them.

A draft is its author's alone: for anyone else it does not exist (no probing). Likes are
interaction records (P4: "posts liked"), one per user and post, counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import clock, limits
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from models.accounts import User
from models.marketplace import MentorProfile, Post, PostLike, PostStatus, PostTag
from services.profile_fields import clean_tags
from services.ranking import counts_per, top_rows_per
from services.viewer import Viewer


@dataclass(frozen=True)
class PostChanges:
    """Only the fields a caller sent (``sent``); the rest stay as they are."""

    sent: frozenset[str]
    title: str | None = None
    body: str | None = None
    tags: Sequence[str] | None = None


@dataclass(frozen=True)
class PostFilter:
    author_id: int | None = None
    tag: str | None = None


def _apply(post: Post, changes: PostChanges) -> None:
    if "title" in changes.sent:
        title = (changes.title or "").strip()
        if not title or len(title) > limits.MAX_POST_TITLE_LENGTH:
            raise BadUserInput(
                f"The title needs 1 to {limits.MAX_POST_TITLE_LENGTH} characters.", field="title"
            )
        post.title = title
    if "body" in changes.sent:
        body = changes.body or ""
        if len(body) > limits.MAX_POST_BODY_LENGTH:
            raise BadUserInput(
                f"Use at most {limits.MAX_POST_BODY_LENGTH} characters.", field="body"
            )
        post.body = body
    if "tags" in changes.sent:
        post.tags = clean_tags(changes.tags or [], field="tags", limit=limits.MAX_POST_TAGS)


async def _save_with_tags(post: Post) -> None:
    await post.save()
    await PostTag.filter(post_id=post.id).delete()
    await PostTag.bulk_create([PostTag(post_id=post.id, value=tag) for tag in post.tags])


def readable_by(viewer: Viewer) -> Q:
    """Published posts, and the viewer's own drafts."""
    if viewer.user_id is None:
        return Q(status=PostStatus.PUBLISHED)
    return Q(status=PostStatus.PUBLISHED) | Q(author_id=viewer.user_id)


def is_readable(viewer: Viewer, post: Post) -> bool:
    """The same rule as ``readable_by``, for a row already loaded."""
    return post.status is PostStatus.PUBLISHED or post.author_id == viewer.user_id


async def visible_post(viewer: Viewer, post_id: int) -> Post | None:
    return await Post.filter(readable_by(viewer), id=post_id).get_or_none()


async def read_post(viewer: Viewer, post_id: int) -> Post | None:
    """A post opened by a reader: a published one counts one more view, atomically in SQL."""
    post = await visible_post(viewer, post_id)
    if post is not None and post.status is PostStatus.PUBLISHED:
        await Post.filter(id=post.id).update(view_count=F("view_count") + 1)
        post.view_count += 1
    return post


def find_posts(viewer: Viewer, criteria: PostFilter) -> QuerySet[Post]:
    query = Post.filter(readable_by(viewer))
    if criteria.author_id is not None:
        query = query.filter(author_id=criteria.author_id)
    if criteria.tag:
        tagged = PostTag.filter(value=criteria.tag.strip().lower()).values("post_id")
        query = query.filter(id__in=Subquery(tagged))
    return query.order_by("-published_at", "-created_at", "-id")


async def create_post(author: User, title: str, body: str, tags: Sequence[str]) -> Post:
    """A new draft; only mentors write posts."""
    if not await MentorProfile.exists(user_id=author.id):
        raise Forbidden("Only mentors publish posts; become a mentor first.")
    post = Post(author_id=author.id, tags=[])
    _apply(
        post,
        PostChanges(sent=frozenset({"title", "body", "tags"}), title=title, body=body, tags=tags),
    )
    async with in_transaction():
        await _save_with_tags(post)
    return post


async def _own_post(author: User, post_id: int) -> Post:
    """The author's post, locked; others' drafts are not found, others' published posts refused."""
    post = await Post.filter(id=post_id).select_for_update().get_or_none()
    if post is None or (post.author_id != author.id and post.status is PostStatus.DRAFT):
        raise NotFound("No such post.", field="id")
    if post.author_id != author.id:
        raise Forbidden("Only the author can change this post.")
    return post


async def update_post(author: User, post_id: int, changes: PostChanges) -> Post:
    async with in_transaction():
        post = await _own_post(author, post_id)
        _apply(post, changes)
        await _save_with_tags(post)
    return post


async def publish_post(author: User, post_id: int) -> Post:
    async with in_transaction():
        post = await _own_post(author, post_id)
        if post.status is PostStatus.PUBLISHED:
            raise Conflict("This post is already PUBLISHED.", field="id")
        post.status = PostStatus.PUBLISHED
        post.published_at = clock.now()
        await post.save()
    return post


async def delete_post(author: User, post_id: int) -> int:
    async with in_transaction():
        post = await _own_post(author, post_id)
        await post.delete()
    return post_id


async def _likeable(viewer: Viewer, post_id: int) -> Post:
    post = await visible_post(viewer, post_id)
    if post is None:
        raise NotFound("No such post.", field="id")
    if post.status is not PostStatus.PUBLISHED:
        raise Conflict("Only PUBLISHED posts can be liked; this one is a DRAFT.", field="id")
    return post


async def like_post(viewer: Viewer, post_id: int) -> Post:
    """Idempotent: a second like by the same user changes nothing."""
    user = viewer.require_user()
    post = await _likeable(viewer, post_id)
    try:
        async with in_transaction():
            await PostLike.create(post_id=post.id, user_id=user.id)
            await Post.filter(id=post.id).update(like_count=F("like_count") + 1)
    except IntegrityError:
        pass  # already liked
    return await Post.get(id=post.id)


async def unlike_post(viewer: Viewer, post_id: int) -> Post:
    """Idempotent: unliking a post one does not like changes nothing."""
    user = viewer.require_user()
    post = await _likeable(viewer, post_id)
    async with in_transaction():
        removed = await PostLike.filter(post_id=post.id, user_id=user.id).delete()
        if removed:
            await Post.filter(id=post.id).update(like_count=F("like_count") - 1)
    return await Post.get(id=post.id)


async def liked_by(user_id: int, post_ids: Sequence[int]) -> list[bool]:
    liked = set(
        await PostLike.filter(user_id=user_id, post_id__in=list(post_ids)).values_list(
            "post_id", flat=True
        )
    )
    return [post_id in liked for post_id in post_ids]


async def latest_published_by(author_ids: Sequence[int], limit: int) -> list[list[Post]]:
    """Each author's newest ``limit`` published posts, for all authors in one query."""
    return await top_rows_per(
        Post.filter(status=PostStatus.PUBLISHED),
        "author_id",
        author_ids,
        order=("published_at", "id"),
        limit=limit,
    )


async def published_counts(author_ids: Sequence[int]) -> list[int]:
    return await counts_per(Post.filter(status=PostStatus.PUBLISHED), "author_id", author_ids)

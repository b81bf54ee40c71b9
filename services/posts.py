"""Posts: mentors write drafts, publish them, everyone reads published ones, users like them.

A draft is its author's alone: for anyone else it does not exist (no probing). Likes are
interaction records (P4: "posts liked"), one per user and post, counted once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, Forbidden, NotFound
from models.accounts import User
from models.marketplace import MentorProfile, Post, PostLike, PostStatus, PostTag
from services.access.decisions import Access, RelatedRows, rows_by_pk
from services.access.states import POST_PUBLISHED
from services.keyset import Ordering, Page, Window
from services.profile_fields import clean_tags
from services.ranking import counts_per, top_rows_per
from services.transactions import transaction


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


async def read_post(access: Access, post_id: int, *, count_view: bool = True) -> Post | None:
    """A post opened by a reader: a published one counts one more view, atomically in SQL
    (``count_view=False`` when this reader's view was counted already)."""
    post = await access.visible(Post).filter(id=post_id).select_related("author").get_or_none()
    if post is not None and count_view and POST_PUBLISHED.holds(post):
        await Post.filter(id=post.id).update(view_count=F("view_count") + 1)
        post.view_count += 1
    return post


def find_posts(access: Access, criteria: PostFilter) -> QuerySet[Post]:
    """The posts the viewer sees (published ones, and their own drafts), newest first."""
    query = access.visible(Post)
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
    async with transaction():
        await _save_with_tags(post)
    return post


async def _own_post(author: User, post_id: int) -> Post:
    """The author's post, locked; posts the author may not see are not found, others'
    published posts refused."""
    post = await Post.filter(id=post_id).select_for_update().get_or_none()
    if post is None or not await Access.of(author).may_see(post):
        raise NotFound("No such post.", field="id")
    if post.author_id != author.id:
        raise Forbidden("Only the author can change this post.")
    return post


async def update_post(author: User, post_id: int, changes: PostChanges) -> Post:
    async with transaction():
        post = await _own_post(author, post_id)
        _apply(post, changes)
        await _save_with_tags(post)
    return post


async def publish_post(author: User, post_id: int) -> Post:
    async with transaction():
        post = await _own_post(author, post_id)
        if post.status is PostStatus.PUBLISHED:
            raise Conflict("This post is already PUBLISHED.", field="id")
        post.status = PostStatus.PUBLISHED
        post.published_at = clock.now()
        await post.save()
    return post


async def delete_post(author: User, post_id: int) -> int:
    async with transaction():
        post = await _own_post(author, post_id)
        await post.delete()
    return post_id


async def _likeable(user: User, post_id: int) -> Post:
    post = await Access.of(user).visible(Post).filter(id=post_id).get_or_none()
    if post is None:
        raise NotFound("No such post.", field="id")
    if post.status is not PostStatus.PUBLISHED:
        raise Conflict("Only PUBLISHED posts can be liked; this one is a DRAFT.", field="id")
    return post


async def like_post(user: User, post_id: int) -> Post:
    """Idempotent: a second like by the same user changes nothing."""
    post = await _likeable(user, post_id)
    try:
        async with transaction():
            await PostLike.create(post_id=post.id, user_id=user.id)
            await Post.filter(id=post.id).update(like_count=F("like_count") + 1)
    except IntegrityError:
        pass  # already liked
    return await Post.get(id=post.id)


async def unlike_post(user: User, post_id: int) -> Post:
    """Idempotent: unliking a post one does not like changes nothing."""
    post = await _likeable(user, post_id)
    async with transaction():
        removed = await PostLike.filter(post_id=post.id, user_id=user.id).delete()
        if removed:
            await Post.filter(id=post.id).update(like_count=F("like_count") - 1)
    return await Post.get(id=post.id)


async def liked_by_viewer(access: Access, post_ids: Sequence[int]) -> list[bool]:
    """Whether the viewer likes each post: their own interaction records only."""
    liked = set(
        await access.visible(PostLike)
        .filter(post_id__in=list(post_ids))
        .values_list("post_id", flat=True)
    )
    return [post_id in liked for post_id in post_ids]


def _published_for(access: Access) -> QuerySet[Post]:
    """A mentor's published posts, as the viewer may see them (drafts never, even their own)."""
    return access.visible(Post).filter(POST_PUBLISHED.where())


def latest_published_order() -> Ordering:
    """A mentor's published posts on their profile: newest first."""
    return Ordering.declared(Post, ("-published_at", "-id"))


async def latest_published_by(
    access: Access, author_ids: Sequence[int], window: Window, related: RelatedRows = rows_by_pk
) -> list[Page]:
    """The same window of each author's published posts, for all authors in one query."""
    return await top_rows_per(
        _published_for(access),
        "author_id",
        author_ids,
        ordering=latest_published_order(),
        window=window,
        related=related,
    )


async def published_counts(access: Access, author_ids: Sequence[int]) -> list[int]:
    return await counts_per(_published_for(access), "author_id", author_ids)

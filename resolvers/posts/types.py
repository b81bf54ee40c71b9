"""Posts as readers see them: a draft exists for its author only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from app.context import Info
from models.marketplace import Post, PostStatus
from resolvers.ids import int_ids
from resolvers.pagination import CountedConnection
from services.posts import is_readable

if TYPE_CHECKING:
    from resolvers.mentors.types import MentorType

PostStatusEnum = strawberry.enum(PostStatus, name="PostStatus", description="Draft or published.")


@strawberry.type(
    name="Post", description="A mentor's article. Drafts are visible to the author alone."
)
class PostType(relay.Node):
    id: relay.NodeID[int]
    title: str
    body: str
    tags: list[str]
    status: PostStatusEnum  # type: ignore[valid-type]
    like_count: int = strawberry.field(description="How many users like the post.")
    view_count: int = strawberry.field(description="How many times the post was opened.")
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The mentor who wrote the post.")
    async def author(
        self, root: Post, info: Info
    ) -> Annotated[MentorType, strawberry.lazy("resolvers.mentors.types")] | None:
        return await info.context.loaders.mentor_of_user.load(root.author_id)  # type: ignore[return-value]

    @strawberry.field(
        description="Whether the signed-in viewer likes the post; null when anonymous."
    )
    async def viewer_has_liked(self, root: Post, info: Info) -> bool | None:
        viewer_id = info.context.viewer.user_id
        if viewer_id is None:
            return None
        return await info.context.loaders.liked_posts.load((viewer_id, root.id))

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Post)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Post | None]:
        viewer = info.context.viewer
        rows = await info.context.loaders.post.load_many(int_ids(node_ids))
        return [row if row is not None and is_readable(viewer, row) else None for row in rows]


@strawberry.type(name="PostConnection", description="A page of posts.")
class PostConnection(CountedConnection[PostType]):
    pass

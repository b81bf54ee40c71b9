"""Posts as readers see them: a draft exists for its author only."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.marketplace import MentorProfile, Post, PostStatus
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.lookahead import selected_below
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection

if TYPE_CHECKING:
    from resolvers.mentors.types import MentorType

PostStatusEnum = described_enum(
    PostStatus,
    name="PostStatus",
    description="Draft or published.",
    values={
        PostStatus.DRAFT: "Seen by its author alone.",
        PostStatus.PUBLISHED: "Seen by everyone, on the author's mentor page and in `posts`.",
    },
)


@strawberry.type(
    name="Post", description="A mentor's article. Drafts are visible to the author alone."
)
class PostType(ModelNode):
    model = Post

    id: relay.NodeID[int]
    title: str = strawberry.field(description="The headline.")
    body: str = strawberry.field(description="The text, as the author wrote it.")
    tags: list[str] = strawberry.field(description="Topic tags, lower case.")
    status: PostStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Draft or published."
    )
    like_count: int = strawberry.field(description="How many users like the post.")
    view_count: int = strawberry.field(description="How many times the post was opened.")
    published_at: datetime | None = strawberry.field(
        description="When it was published; null for a draft."
    )
    created_at: datetime = strawberry.field(description="When the draft was written.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="The mentor who wrote the post.")
    async def author(
        self, root: Post, info: Info
    ) -> Annotated[MentorType, strawberry.lazy("resolvers.mentors.types")] | None:
        mentor = await visible_row(info, MentorProfile, root.author_id, by="user_id")
        return mentor  # type: ignore[return-value]

    @strawberry.field(
        description="Whether the signed-in viewer likes the post; null when anonymous."
    )
    async def viewer_has_liked(self, root: Post, info: Info) -> bool | None:
        if not info.context.viewer.is_authenticated:
            return None
        return await info.context.loaders.liked_posts.load(root.id)


@strawberry.type(name="PostConnection", description="A page of posts.")
class PostConnection(CountedConnection[PostType]):
    async def load_ahead(self, info: Info) -> None:
        """The authors of a whole page in one read, when the operation asks for them: each
        post's ``author`` then answers from its loader. Left to each post, the reads split
        into as many statements as execution takes turns of the loop (``resolvers.pacing``)."""
        if any(field.name == "author" for field in selected_below(info, "edges", "node")):
            authors = [edge.node.author_id for edge in self.edges]  # type: ignore[attr-defined]
            await info.context.loaders.rows(MentorProfile, "user_id").load_many(authors)

from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from core.errors import NotFound
from resolvers.ids import row_id
from resolvers.posts.types import PostConnection, PostType
from services import posts


@strawberry.input(description="Every given criterion must match.")
class PostFilter:
    author: relay.GlobalID | None = strawberry.field(
        default=None, description="The author's Mentor ID."
    )
    tag: str | None = None


@strawberry.type
class PostQueries:
    @strawberry.field(
        description="Published posts (and the viewer's own drafts), newest first. `first` ≤ 100."
    )
    async def posts(
        self,
        info: Info,
        filter: PostFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PostConnection:
        given = filter or PostFilter()
        author_id = None
        if given.author is not None:
            profile = await info.context.loaders.mentor.load(
                row_id(given.author, "Mentor", field="author")
            )
            if profile is None:
                raise NotFound("No such mentor.", field="author")
            author_id = profile.user_id
        query = posts.find_posts(
            info.context.viewer, posts.PostFilter(author_id=author_id, tag=given.tag)
        )
        return await PostConnection.resolve_connection(query, info=info, first=first, after=after)

    @strawberry.field(
        description="A post by global ID, counting one view; null when absent or not yours."
    )
    async def post(self, info: Info, id: relay.GlobalID) -> PostType | None:
        try:
            post_id = row_id(id, "Post", field="id")
        except NotFound:
            return None
        return await posts.read_post(info.context.viewer, post_id)  # type: ignore[return-value]

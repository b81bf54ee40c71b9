from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from core.errors import NotFound
from models.marketplace import MentorProfile
from models.partner_apps import PartnerScope
from resolvers.base import partner_scope
from resolvers.context import Info
from resolvers.ids import row_id, row_id_or_none
from resolvers.nodes import visible_row
from resolvers.pagination import After, Before, First, Last
from resolvers.posts.types import PostConnection, PostType
from services import posts


@strawberry.input(description="Every given criterion must match.")
class PostFilter:
    author: relay.GlobalID | None = strawberry.field(
        default=None, description="The author's Mentor ID."
    )
    tag: str | None = strawberry.field(default=None, description="A topic tag, in any letter case.")


@strawberry.type
class PostQueries:
    @strawberry.field(
        description="Published posts (and the viewer's own drafts), newest first. `first` ≤ 100.",
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def posts(
        self,
        info: Info,
        filter: Annotated[
            PostFilter | None, strawberry.argument(description="Which posts; null for all.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> PostConnection:
        given = filter or PostFilter()
        author_id = None
        if given.author is not None:
            profile = await visible_row(
                info, MentorProfile, row_id(given.author, "Mentor", field="author")
            )
            if profile is None:
                raise NotFound("No such mentor.", field="author")
            author_id = profile.user_id
        query = posts.find_posts(
            info.context.access, posts.PostFilter(author_id=author_id, tag=given.tag)
        )
        page: PostConnection = await PostConnection.resolve_connection(
            query, info=info, first=first, after=after, last=last, before=before
        )
        await page.load_ahead(info)
        return page

    @strawberry.field(
        description="A post by global ID, counting one view; null when absent or not yours.",
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )
    async def post(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="The post's global ID.")],
    ) -> PostType | None:
        post_id = row_id_or_none(id, "Post")
        if post_id is None:
            return None
        # A query rerun after losing its database connection counts a view once.
        counted = info.context.views_counted
        post = await posts.read_post(
            info.context.access, post_id, count_view=post_id not in counted
        )
        counted.add(post_id)
        return post  # type: ignore[return-value]

"""Interaction fields of the User type: the user's own likes and views."""

from __future__ import annotations

import strawberry

from models.accounts import User
from models.interactions import Interaction, InteractionKind
from models.marketplace import PostLike
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.permissions import rows_of
from resolvers.posts.types import PostConnection
from services import interactions

InteractionKindEnum = described_enum(
    InteractionKind,
    name="InteractionKind",
    description="What a visit did: opened a page, opened a post, or spent time on a page.",
    values={
        InteractionKind.PAGE_VIEW: "A page of the web client was opened; give its `path`.",
        InteractionKind.POST_VIEW: "A post was opened; give its `postId`.",
        InteractionKind.TIME_ON_PAGE: "Time spent on a page; give its `path` and `durationMs`.",
    },
)


@strawberry.type
class UserInteractionFields:
    """Likes and views of the User type, visible to that user alone."""

    @strawberry.field(
        description="Posts the user likes, newest like first; the user's own only.",
        extensions=[rows_of(PostLike)],
    )
    async def liked_posts(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection | None:
        return await PostConnection.resolve_connection(
            interactions.liked_posts(info.context.access, root.id),
            info=info,
            first=first,
            after=after,
        )

    @strawberry.field(
        description=(
            "Posts the user viewed, most recently viewed first; the user's own only. Needs "
            "ANALYTICS consent (VIEW_HISTORY): CONSENT_REQUIRED without it."
        ),
        extensions=[rows_of(Interaction)],
    )
    async def view_history(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection | None:
        viewed = await interactions.view_history(
            info.context.access, root.id, gpc=info.context.client.gpc
        )
        return await PostConnection.resolve_connection(viewed, info=info, first=first, after=after)

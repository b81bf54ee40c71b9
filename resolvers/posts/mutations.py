"""Post mutations: thin wrappers over ``services.posts``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from resolvers.base import Payload, payload_mutation
from resolvers.ids import row_id
from resolvers.permissions import IsAuthenticated
from resolvers.posts.types import PostType
from services import posts


@strawberry.input
class CreatePostInput:
    title: str
    body: str
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="Send only the fields to change.")
class UpdatePostInput:
    post_id: relay.GlobalID
    title: str | None = strawberry.UNSET
    body: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input
class PostIdInput:
    post_id: relay.GlobalID


@strawberry.type
class PostPayload(Payload):
    post: PostType | None = None


@strawberry.type
class DeletePostPayload(Payload):
    deleted_post_id: relay.GlobalID | None = None


def _post_id(data: UpdatePostInput | PostIdInput) -> int:
    return row_id(data.post_id, "Post", field="postId")


@strawberry.type
class PostMutations:
    @payload_mutation(description="Write a draft (mentors only).", permissions=[IsAuthenticated()])
    async def create_post(self, info: Info, input: CreatePostInput) -> PostPayload:
        user = info.context.viewer.require_user()
        post = await posts.create_post(user, input.title, input.body, input.tags)
        return PostPayload(post=post)  # type: ignore[arg-type]

    @payload_mutation(description="Edit your post.", permissions=[IsAuthenticated()])
    async def update_post(self, info: Info, input: UpdatePostInput) -> PostPayload:
        sent = frozenset(
            name
            for name in ("title", "body", "tags")
            if getattr(input, name) is not strawberry.UNSET
        )
        changes = posts.PostChanges(
            sent=sent,
            title=input.title or None,
            body=input.body or None,
            tags=input.tags or None,
        )
        user = info.context.viewer.require_user()
        post = await posts.update_post(user, _post_id(input), changes)
        return PostPayload(post=post)  # type: ignore[arg-type]

    @payload_mutation(description="Publish your draft.", permissions=[IsAuthenticated()])
    async def publish_post(self, info: Info, input: PostIdInput) -> PostPayload:
        user = info.context.viewer.require_user()
        post = await posts.publish_post(user, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

    @payload_mutation(description="Delete your post.", permissions=[IsAuthenticated()])
    async def delete_post(self, info: Info, input: PostIdInput) -> DeletePostPayload:
        user = info.context.viewer.require_user()
        await posts.delete_post(user, _post_id(input))
        return DeletePostPayload(deleted_post_id=input.post_id)

    @payload_mutation(
        description="Like a published post; liking twice counts once.",
        permissions=[IsAuthenticated()],
    )
    async def like_post(self, info: Info, input: PostIdInput) -> PostPayload:
        post = await posts.like_post(info.context.viewer, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

    @payload_mutation(
        description="Take back a like; unliking a post you do not like changes nothing.",
        permissions=[IsAuthenticated()],
    )
    async def unlike_post(self, info: Info, input: PostIdInput) -> PostPayload:
        post = await posts.unlike_post(info.context.viewer, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

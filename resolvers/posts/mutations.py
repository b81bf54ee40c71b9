"""Post mutations: thin wrappers over ``services.posts``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields
from resolvers.context import Info
from resolvers.ids import row_id
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
    @mutation(description="Write a draft (mentors only).", guard=SIGNED_IN)
    async def create_post(self, info: Info, actor: User, input: CreatePostInput) -> PostPayload:
        post = await posts.create_post(actor, input.title, input.body, input.tags)
        return PostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Edit your post.", guard=SIGNED_IN)
    async def update_post(self, info: Info, actor: User, input: UpdatePostInput) -> PostPayload:
        sent = sent_fields(input)
        sent.pop("post_id")
        changes = posts.PostChanges(sent=frozenset(sent), **sent)
        post = await posts.update_post(actor, _post_id(input), changes)
        return PostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Publish your draft.", guard=SIGNED_IN)
    async def publish_post(self, info: Info, actor: User, input: PostIdInput) -> PostPayload:
        post = await posts.publish_post(actor, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Delete your post.", guard=SIGNED_IN)
    async def delete_post(self, info: Info, actor: User, input: PostIdInput) -> DeletePostPayload:
        await posts.delete_post(actor, _post_id(input))
        return DeletePostPayload(deleted_post_id=input.post_id)

    @mutation(description="Like a published post; liking twice counts once.", guard=SIGNED_IN)
    async def like_post(self, info: Info, actor: User, input: PostIdInput) -> PostPayload:
        post = await posts.like_post(actor, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

    @mutation(
        description="Take back a like; unliking a post you do not like changes nothing.",
        guard=SIGNED_IN,
    )
    async def unlike_post(self, info: Info, actor: User, input: PostIdInput) -> PostPayload:
        post = await posts.unlike_post(actor, _post_id(input))
        return PostPayload(post=post)  # type: ignore[arg-type]

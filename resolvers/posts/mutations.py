"""Post mutations: thin wrappers over ``services.posts``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from core import limits
from models.accounts import User
from models.partner_apps import PartnerScope
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.posts.types import PostType
from services import posts

_TITLE = f"The headline, at most {limits.MAX_POST_TITLE_LENGTH} characters."
_BODY = f"The text, at most {limits.MAX_POST_BODY_LENGTH} characters."
_TAGS = (
    f"Topic tags, at most {limits.MAX_POST_TAGS} of {limits.MAX_TAG_LENGTH} characters each; "
    "stored lower case."
)


@strawberry.input(description="A new draft; only its author sees it until it is published.")
class CreatePostInput:
    title: str = strawberry.field(description=_TITLE)
    body: str = strawberry.field(description=_BODY)
    tags: list[str] = strawberry.field(default_factory=list, description=_TAGS)


@strawberry.input(description="Send only the fields to change.")
class UpdatePostInput:
    post_id: relay.GlobalID = strawberry.field(description="Your post to edit.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description=_TITLE)
    body: str | None = strawberry.field(default=strawberry.UNSET, description=_BODY)
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=f"{_TAGS} The list replaces the old one."
    )


@strawberry.input
class PostIdFields:
    """The one field of an input that names a post."""

    post_id: relay.GlobalID = strawberry.field(description="The post's global ID.")


@strawberry.input(description="Your draft to publish.")
class PublishPostInput(PostIdFields):
    pass


@strawberry.input(description="Your post to delete.")
class DeletePostInput(PostIdFields):
    pass


@strawberry.input(description="A published post to like.")
class LikePostInput(PostIdFields):
    pass


@strawberry.input(description="A post you like, to like no more.")
class UnlikePostInput(PostIdFields):
    pass


@strawberry.type
class PostResult(Payload):
    """The shape of a payload that answers with the post acted on."""

    post: PostType | None = strawberry.field(
        default=None, description="The post as it now is; null when `errors` says why not."
    )


@strawberry.type(description="What `createPost` answers: the new draft.")
class CreatePostPayload(PostResult):
    pass


@strawberry.type(description="What `updatePost` answers: the edited post.")
class UpdatePostPayload(PostResult):
    pass


@strawberry.type(description="What `publishPost` answers: the post, now public.")
class PublishPostPayload(PostResult):
    pass


@strawberry.type(description="What `likePost` answers: the post with its like counted.")
class LikePostPayload(PostResult):
    pass


@strawberry.type(description="What `unlikePost` answers: the post without your like.")
class UnlikePostPayload(PostResult):
    pass


@strawberry.type(description="What `deletePost` answers: which post is gone.")
class DeletePostPayload(Payload):
    deleted_post_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The deleted post's ID, to drop it from a client's cache; null on errors.",
    )


def _post_id(data: UpdatePostInput | PostIdFields) -> int:
    return row_id(data.post_id, "Post", field="postId")


@strawberry.type
class PostMutations:
    @mutation(description="Write a draft (mentors only).", guard=SIGNED_IN)
    async def create_post(
        self, info: Info, actor: User, input: CreatePostInput
    ) -> CreatePostPayload:
        post = await posts.create_post(actor, input.title, input.body, input.tags)
        return CreatePostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Edit your post.", guard=SIGNED_IN)
    async def update_post(
        self, info: Info, actor: User, input: UpdatePostInput
    ) -> UpdatePostPayload:
        sent = sent_fields(input)
        sent.pop("post_id")
        changes = posts.PostChanges(sent=frozenset(sent), **sent)
        post = await posts.update_post(actor, _post_id(input), changes)
        return UpdatePostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Publish your draft.", guard=SIGNED_IN)
    async def publish_post(
        self, info: Info, actor: User, input: PublishPostInput
    ) -> PublishPostPayload:
        post = await posts.publish_post(actor, _post_id(input))
        return PublishPostPayload(post=post)  # type: ignore[arg-type]

    @mutation(description="Delete your post.", guard=SIGNED_IN)
    async def delete_post(
        self, info: Info, actor: User, input: DeletePostInput
    ) -> DeletePostPayload:
        await posts.delete_post(actor, _post_id(input))
        return DeletePostPayload(deleted_post_id=input.post_id)

    @mutation(
        description="Like a published post; liking twice counts once.",
        guard=SIGNED_IN,
        scope=PartnerScope.USER_WRITE,
    )
    async def like_post(self, info: Info, actor: User, input: LikePostInput) -> LikePostPayload:
        post = await posts.like_post(actor, _post_id(input))
        return LikePostPayload(post=post)  # type: ignore[arg-type]

    @mutation(
        description="Take back a like; unliking a post you do not like changes nothing.",
        guard=SIGNED_IN,
        scope=PartnerScope.USER_WRITE,
    )
    async def unlike_post(
        self, info: Info, actor: User, input: UnlikePostInput
    ) -> UnlikePostPayload:
        post = await posts.unlike_post(actor, _post_id(input))
        return UnlikePostPayload(post=post)  # type: ignore[arg-type]

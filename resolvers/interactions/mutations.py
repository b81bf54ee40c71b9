"""Recording a visit: a thin wrapper over ``services.interactions``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import BadUserInput
from resolvers.base import Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id_or_none
from resolvers.interactions.types import InteractionKindEnum
from services import interactions


@strawberry.input(description="What the browser saw; send what the kind needs.")
class RecordInteractionInput:
    kind: InteractionKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="What happened; it says which other field to give."
    )
    path: str | None = strawberry.field(
        default=None,
        description="The page's path, e.g. /mentors (PAGE_VIEW, TIME_ON_PAGE); its query and "
        "fragment are not kept.",
    )
    post_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The post opened (POST_VIEW)."
    )
    duration_ms: int | None = strawberry.field(
        default=None, description="How long the page was open, in milliseconds (TIME_ON_PAGE)."
    )


@strawberry.type(
    description="What `recordInteraction` answers: the same with or without ANALYTICS consent."
)
class RecordInteractionPayload(Payload):
    pass


def _post_id(data: RecordInteractionInput) -> int | None:
    if data.post_id is None:
        return None
    found = row_id_or_none(data.post_id, "Post")
    if found is None:
        raise BadUserInput("No such post.", field="postId")
    return found


@strawberry.type
class InteractionMutations:
    @mutation(
        description=(
            "Note a page view, post view or time on a page, for analytics. Kept only with "
            "ANALYTICS consent, and answered the same without it, so a client need not ask."
        )
    )
    async def record_interaction(
        self, info: Info, input: RecordInteractionInput
    ) -> RecordInteractionPayload:
        context = info.context
        report = interactions.Report(
            kind=input.kind, path=input.path, post_id=_post_id(input), duration_ms=input.duration_ms
        )
        subject = await context.consent_subject(start=False)
        await interactions.record(context.runtime, context.access, subject, context.client, report)
        return RecordInteractionPayload()

"""The operation-wide rules notifications need, as schema extensions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from graphql import GraphQLError
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.errors import ErrorCode
from resolvers.context import RequestContext
from services.notifications.emit import announcing


class AnnounceNotifications(SchemaExtension):
    """Once an operation's work is over, and so committed, announce the notifications it wrote
    to their recipients' subscriptions (``services.notifications.emit.announcing``)."""

    async def on_operation(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        if not isinstance(context, RequestContext):
            yield
            return
        async with announcing(context.runtime):
            yield


class SubscriptionsOverWebSocket(SchemaExtension):
    """A WebSocket carries subscriptions only: queries and mutations go over HTTP, where each
    request has a context and loaders of its own, and the CSRF rule."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        over_websocket = isinstance(context, RequestContext) and context.connection is not None
        if (
            over_websocket
            and self.execution_context.operation_type is not OperationType.SUBSCRIPTION
        ):
            self.execution_context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Send queries and mutations over HTTP; the WebSocket carries "
                        "subscriptions.",
                        extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                    )
                ],
            )
        yield

"""The schema: every domain's queries and mutations, and the rules that guard them all."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Iterable, Sized
from datetime import timedelta
from typing import Any

import strawberry
from graphql import GraphQLError, get_named_type, is_leaf_type
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.pyutils import is_iterable
from strawberry import relay
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from core import limits
from core.errors import ErrorCode, ResponseTooLarge
from models.partner_apps import PartnerScope
from resolvers.accounts.mutations import AccountMutations
from resolvers.accounts.queries import AccountQueries
from resolvers.administration.mutations import AdministrationMutations
from resolvers.administration.queries import AdministrationQueries
from resolvers.analytics.queries import AnalyticsQueries
from resolvers.audit.queries import AuditQueries
from resolvers.base import partner_scope
from resolvers.budgets import QueryBudgetGuard
from resolvers.context import RequestContext
from resolvers.deletion.mutations import DeletionMutations
from resolvers.extensions import (
    TIMEOUT_MESSAGE,
    AuditStaffReads,
    CsrfGuard,
    DocumentRules,
    ErrorShaping,
    HonourGpc,
    RerunQueryOnLostConnection,
    StorableVariables,
    SyntaxSafeParserCache,
    connection_lost,
    is_unexpected,
    log_unexpected,
)
from resolvers.incidents.mutations import IncidentMutations
from resolvers.incidents.queries import IncidentQueries
from resolvers.interactions.mutations import InteractionMutations
from resolvers.jobs.mutations import JobMutations
from resolvers.jobs.queries import JobQueries
from resolvers.loaders import is_pending
from resolvers.marketing.mutations import MarketingMutations
from resolvers.marketing.queries import MarketingQueries
from resolvers.mentors.mutations import MentorMutations
from resolvers.mentors.queries import MentorQueries
from resolvers.nodes import resolve_node
from resolvers.notifications.extensions import AnnounceNotifications, SubscriptionsOverWebSocket
from resolvers.notifications.mutations import NotificationMutations
from resolvers.notifications.queries import NotificationQueries
from resolvers.notifications.subscriptions import NotificationSubscriptions
from resolvers.observed import NameTheOperation
from resolvers.pacing import LOOP_SHARE, Backlog
from resolvers.partner_apps.grants import PartnerGrantMutations, PartnerGrantQueries
from resolvers.partner_apps.mutations import PartnerAppMutations
from resolvers.partner_apps.queries import PartnerAppQueries
from resolvers.partner_apps.scopes import PartnerScopes
from resolvers.payments.mutations import PaymentMutations
from resolvers.payments.queries import PaymentQueries
from resolvers.plans.catalog import Plans
from resolvers.plans.extension import RunPlans
from resolvers.posts.mutations import PostMutations
from resolvers.posts.queries import PostQueries
from resolvers.privacy.mutations import PrivacyMutations
from resolvers.privacy.queries import PrivacyQueries
from resolvers.security.mutations import SecurityMutations
from resolvers.security.queries import SecurityQueries
from resolvers.social.mutations import SocialMutations
from resolvers.social.queries import SocialQueries
from resolvers.testimonials.mutations import TestimonialMutations
from resolvers.testimonials.queries import TestimonialQueries

logger = logging.getLogger("mentor_api.graphql")


@strawberry.type(description="Everything a client can read; reads never change anything.")
class Query(
    AccountQueries,
    MentorQueries,
    PostQueries,
    JobQueries,
    TestimonialQueries,
    PaymentQueries,
    PrivacyQueries,
    AnalyticsQueries,
    MarketingQueries,
    NotificationQueries,
    IncidentQueries,
    AdministrationQueries,
    AuditQueries,
    SecurityQueries,
    SocialQueries,
    PartnerAppQueries,
    PartnerGrantQueries,
):
    node: relay.Node | None = strawberry.field(
        resolver=resolve_node,
        description="Any object by its global ID.",
        directives=[partner_scope(PartnerScope.MARKETPLACE_READ)],
    )


@strawberry.type(
    description="Everything a client can change. Each answers with a payload whose `errors` "
    "say why nothing changed; access errors come as top-level GraphQL errors."
)
class Mutation(
    AccountMutations,
    MentorMutations,
    PostMutations,
    JobMutations,
    TestimonialMutations,
    PaymentMutations,
    PrivacyMutations,
    DeletionMutations,
    InteractionMutations,
    MarketingMutations,
    NotificationMutations,
    IncidentMutations,
    AdministrationMutations,
    SecurityMutations,
    SocialMutations,
    PartnerAppMutations,
    PartnerGrantMutations,
):
    pass


@strawberry.type(description="Live updates, over the WebSocket endpoint only.")
class Subscription(NotificationSubscriptions):
    pass


class RowsAreValues(StrawberryGraphQLCoreExecutionContext):
    """Execution that awaits what is pending, not every Tortoise row (see ``is_pending``),
    hands the event loop back each slice of CPU time (``resolvers.pacing``), and stops an
    answer that grows past ``MAX_LIST_ITEMS_PER_RESPONSE``.

    Lists are the points checked: far fewer than fields or objects, each one put off costs
    a task, and no run of work between two of them is long (a page holds at most
    ``MAX_PAGE_SIZE`` items, and any page inside them is checked again)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_awaitable = is_pending  # type: ignore[assignment]
        # A heavy operation hands the loop back sooner: it, not its bystanders, pays for its
        # weight (``HEAVY_OPERATION_TIME_SLICE``).
        cost = getattr(self.context_value, "cost", None)
        heavy = cost is not None and cost.requested >= limits.HEAVY_OPERATION_COST
        slice_time = limits.HEAVY_OPERATION_TIME_SLICE if heavy else limits.EXECUTION_TIME_SLICE
        self.time_slice = slice_time.total_seconds()
        self.backlog = Backlog(is_pending, slice_seconds=self.time_slice)
        self.list_items = 0
        self.too_large: ResponseTooLarge | None = None

    def complete_list_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, Sized):
            self.count_list_items(len(result))
        elif not self.is_async_iterable(result) and is_iterable(result):
            result = list(result)
            self.count_list_items(len(result))
        complete = functools.partial(
            super().complete_list_value,
            return_type,
            field_details_list,
            info,
            path,
            result,
            position_context,
        )
        # A list of scalars completes at once; putting it off would cost more than it saves.
        if LOOP_SHARE.spent(self.time_slice) and not is_leaf_type(get_named_type(return_type)):
            return self.backlog.later(complete)
        return complete()

    def complete_list_item_value(
        self,
        item: Any,
        complete_results: list[Any],
        item_type: Any,
        field_details_list: Any,
        info: Any,
        item_path: Any,
        position_context: Any,
    ) -> bool:
        """An item met once the slice is spent is completed in a later turn: a list of many
        objects would otherwise complete in one piece however long it takes. The deferred
        item is completed, errors and all, as graphql-core would have done at once."""
        complete = super().complete_list_item_value
        if not LOOP_SHARE.spent(self.time_slice) or is_leaf_type(get_named_type(item_type)):
            return complete(
                item,
                complete_results,
                item_type,
                field_details_list,
                info,
                item_path,
                position_context,
            )

        def complete_later() -> Any:
            completed: list[Any] = []
            complete(
                item, completed, item_type, field_details_list, info, item_path, position_context
            )
            return completed[0]

        complete_results.append(self.backlog.later(complete_later))
        return True

    def count_list_items(self, items: int) -> None:
        """Over the bound, this list fails, as does every later one; the answer is replaced
        by the one error (``build_response``)."""
        self.list_items += items
        if self.list_items > limits.MAX_LIST_ITEMS_PER_RESPONSE:
            self.too_large = ResponseTooLarge("list items", limits.MAX_LIST_ITEMS_PER_RESPONSE)
            raise self.too_large

    def build_response(self, data: dict[str, Any] | None) -> Any:
        if self.too_large is None:
            return super().build_response(data)
        self.run_async_work_finished_hook()
        error = GraphQLError(
            self.too_large.message,
            original_error=self.too_large,
            extensions=self.too_large.extensions,
        )
        return GraphQLExecutionResult(data=None, errors=[error])


class MentorSchema(strawberry.Schema):
    # The trusted queries' plans (resolvers.plans), set by the app once its documents load.
    plans: Plans | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """A query or mutation runs within the request timeout (subscriptions, which the
        WebSocket carries through ``stream`` and ``subscribe``, are meant to last). Past it,
        the operation's task is cancelled where it waits, so an open transaction rolls back,
        and the answer is TIMEOUT alone."""
        run = super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        if not isinstance(context_value, RequestContext):
            return await run
        limit = context_value.runtime.settings.request_timeout
        try:
            async with asyncio.timeout(limit.total_seconds()):
                return await run
        except TimeoutError:
            return timed_out(limit, context_value.client.request_id)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only what is unexpected, without messages that might hold personal data."""
        context = execution_context.context if execution_context else None
        client = getattr(context, "client", None)
        for error in errors:
            if error.original_error is not None and connection_lost(error.original_error):
                # An outage, not a bug: one line each, the stack says nothing new.
                logger.warning(
                    "the database connection was lost under an operation (request %s)",
                    getattr(client, "request_id", None),
                )
            elif is_unexpected(error):
                log_unexpected(error, getattr(client, "request_id", None))


def timed_out(limit: timedelta, request_id: str | None) -> ExecutionResult:
    """The answer of an operation stopped at the request timeout: no data, one error."""
    logger.warning(
        "an operation ran past the request timeout of %s s and was stopped (request %s)",
        int(limit.total_seconds()),
        request_id,
    )
    error = GraphQLError(
        TIMEOUT_MESSAGE, extensions={"code": ErrorCode.TIMEOUT.value, "requestId": request_id}
    )
    return ExecutionResult(data=None, errors=[error])


def build_schema(*, development: bool = False, introspection: bool = True) -> MentorSchema:
    """The schema; the app turns ``introspection`` off in production (GRAPHQL_INTROSPECTION),
    tools that read the schema itself (export-schema, the tests) keep it."""
    extensions: list[Any] = [
        DocumentRules,
        *([] if introspection else [DisableIntrospection]),
        lambda: MaxTokensLimiter(max_token_count=limits.MAX_TOKENS),
        lambda: SyntaxSafeParserCache(maxsize=limits.MAX_CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=limits.MAX_CACHED_DOCUMENTS),
        NameTheOperation,
        # First to execute: a refused operation leaves the others nothing to do.
        QueryBudgetGuard,
        StorableVariables,
        SubscriptionsOverWebSocket,
        PartnerScopes,
        CsrfGuard,
        HonourGpc,
        AuditStaffReads,
        AnnounceNotifications,
        ErrorShaping,
        RerunQueryOnLostConnection,
        # Last: a trusted query's plan answers in place of the executor, inside all the rest.
        RunPlans,
    ]
    return MentorSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=RowsAreValues,
        config=StrawberryConfig(
            disable_field_suggestions=not development, relay_max_results=limits.MAX_PAGE_SIZE
        ),
    )


logging.getLogger("strawberry.execution").setLevel(logging.CRITICAL)

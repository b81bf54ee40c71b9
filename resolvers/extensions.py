"""Cross-cutting rules of the GraphQL layer, as schema extensions rather than resolver code."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import redis
from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    Node,
    StringValueNode,
    ValidationRule,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from redis.exceptions import RedisError
from strawberry.extensions import AddValidationRules, ParserCache, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as alias_limit_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit_rule
from strawberry.types.graphql import OperationType
from tortoise.exceptions import DBConnectionError

from core import limits
from core.errors import DomainError, ErrorCode, ServiceUnavailable
from core.runtime import ThrottleUnavailable
from models.audit import AuditAction
from resolvers.context import RequestContext
from services import audit
from services.privacy import consents

logger = logging.getLogger("mentor_api.graphql")

INTERNAL_MESSAGE = "Internal error"
TIMEOUT_MESSAGE = "The operation took too long and was stopped; try again."
# Not "nothing was changed": a mutation that commits in batches keeps those it finished.
DATABASE_UNAVAILABLE_MESSAGE = "The database was briefly out of reach; try again in a moment."


# Text a database cannot store: PostgreSQL refuses NUL, and no encoder takes a lone surrogate.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = "Text may not contain NUL characters or unpaired surrogates."


class StorableStrings(ValidationRule):
    """String literals in a document must be text we can store."""

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        if UNSTORABLE_TEXT.search(node.value):
            # A value the caller chose, like a variable's: BAD_USER_INPUT, not the schema's.
            extensions = {"code": ErrorCode.BAD_USER_INPUT.value}
            self.report_error(GraphQLError(UNSTORABLE_MESSAGE, node, extensions=extensions))


class FewDirectivesPerLocation(ValidationRule):
    """A field, fragment or operation carries at most ``MAX_DIRECTIVES_PER_LOCATION``
    directives: the spec lets a repeatable directive stand any number of times, and each
    copy is work to validate and, unknown, an error to report."""

    def enter(self, node: Node, *_args: object) -> None:
        directives = getattr(node, "directives", None)
        limit = limits.MAX_DIRECTIVES_PER_LOCATION
        if directives and len(directives) > limit:
            self.report_error(
                GraphQLError(
                    f"At most {limit} directives may stand in one place; "
                    f"this one has {len(directives)}.",
                    directives[limit],
                )
            )


class DocumentRules(AddValidationRules):
    """Depth, alias and directive limits and storable literals, as rule classes built once.

    ``QueryDepthLimiter`` and ``MaxAliasesLimiter`` make a new rule class for each instance,
    and a factory makes an instance per request, so the rules never compared equal and
    ``ValidationCache`` re-validated every document on every request.
    """

    RULES = (
        depth_limit_rule(limits.MAX_QUERY_DEPTH, None, None),
        alias_limit_rule(limits.MAX_ALIASES),
        FewDirectivesPerLocation,
        StorableStrings,
    )

    def __init__(self) -> None:
        super().__init__(list(self.RULES))


def is_unexpected(error: GraphQLError) -> bool:
    """Our own errors and GraphQL's syntax/validation errors are safe to show; the rest is not."""
    original = error.original_error
    return original is not None and not isinstance(original, DomainError | GraphQLError)


def _error_chain(error: BaseException) -> Iterator[BaseException]:
    """An error and those behind it: causes, contexts, and an error given as the first
    argument (Tortoise wraps the driver's error that way, or not at all)."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        found = pending.pop()
        if not isinstance(found, BaseException) or id(found) in seen:
            continue
        seen.add(id(found))
        yield found
        pending += [found.__cause__, found.__context__, *found.args[:1]]


def statement_timed_out(error: BaseException) -> bool:
    """The database stopped a statement at its timeout (``app.db``): PostgreSQL's
    statement_timeout cancels it (query_canceled), SQLite's busy timeout gives up waiting for
    another connection's lock (SQLITE_BUSY)."""
    for found in _error_chain(error):
        if isinstance(found, asyncpg.QueryCanceledError):
            return True
        if isinstance(found, sqlite3.OperationalError):
            return found.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    return False


# The server ended the session (pg_terminate_backend, a shutdown, a crash) or takes no new one
# yet (starting up), not all of OperatorInterventionError (a statement timeout is one too);
# then the connection itself broke or was never made.
CONNECTION_LOST = (
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    DBConnectionError,
    ConnectionError,
)


def connection_lost(error: BaseException) -> bool:
    """The database connection broke under a statement or could not be made: the server
    ended it, the socket closed or was refused, or asyncpg found it closed. The server rolls
    back a transaction left open on it, so what failed was not written by halves."""
    for found in _error_chain(error):
        if isinstance(found, redis.RedisError):
            return False  # an outage of Redis, which has fallbacks of its own
        if isinstance(found, CONNECTION_LOST):
            return True
        if isinstance(found, asyncpg.InterfaceError) and "connection is closed" in str(found):
            return True
        # A session ended while idle: the server's FATAL message arrives before its end of
        # the socket, and the next statement finds the protocol still consuming that error.
        if isinstance(found, asyncpg.InternalClientError) and str(found).startswith(
            "cannot switch to state"
        ):
            return True
    return False


def log_unexpected(error: GraphQLError, request_id: str | None) -> None:
    original = error.original_error
    assert original is not None
    log_exception(original, ".".join(str(p) for p in error.path or []), request_id)


def log_exception(
    error: BaseException, where: str, request_id: str | None, log: logging.Logger = logger
) -> None:
    """Log the exception's type and stack, not its message: messages can carry personal data
    (an address in a constraint's detail) and paths (an OSError's file name)."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    log.error(
        "unexpected %s at %s (request %s)\n%s", type(error).__name__, where, request_id, stack
    )


# graphql-core stops parsing a document over MaxTokensLimiter's bound with a syntax error;
# the document may be fine GraphQL, it is our limit it breaks.
TOKEN_LIMIT_MESSAGE = "Syntax Error: Document contains more than"


def request_error_code(
    error: GraphQLError, validation_errors: tuple[GraphQLError, ...]
) -> ErrorCode:
    """The code of an error GraphQL itself raised, by the step that raised it: the document
    did not parse, did not validate (limits included), or a value did not fit (variables)."""
    if isinstance(error, GraphQLSyntaxError):
        if error.message.startswith(TOKEN_LIMIT_MESSAGE):
            return ErrorCode.GRAPHQL_VALIDATION_FAILED
        return ErrorCode.GRAPHQL_PARSE_FAILED
    if any(error is failed for failed in validation_errors):
        return ErrorCode.GRAPHQL_VALIDATION_FAILED
    return ErrorCode.BAD_USER_INPUT


def dependency_unavailable(error: BaseException) -> ServiceUnavailable | None:
    """The typed answer for a dependency out of reach: the database connection lost, or Redis
    where no fallback answered. None for anything else."""
    if isinstance(error, ServiceUnavailable):
        return error
    if connection_lost(error):
        return ServiceUnavailable(message=DATABASE_UNAVAILABLE_MESSAGE)
    if isinstance(error, RedisError | ThrottleUnavailable):
        return ServiceUnavailable()
    return None


def _shaped(
    error: GraphQLError, request_id: str | None, validation_errors: tuple[GraphQLError, ...]
) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = original.extensions
        message = original.message
    elif original is not None and statement_timed_out(original):
        extensions = {"code": ErrorCode.TIMEOUT.value, "requestId": request_id}
        message = TIMEOUT_MESSAGE
    elif original is not None and (unavailable := dependency_unavailable(original)):
        extensions = {**unavailable.extensions, "requestId": request_id}
        message = unavailable.message
    elif is_unexpected(error):
        extensions = {"code": ErrorCode.INTERNAL.value, "requestId": request_id}
        message = INTERNAL_MESSAGE
    else:
        code = request_error_code(error, validation_errors)
        extensions = {"code": code.value, **(error.extensions or {})}
        message = error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def merged(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Errors alike in message, code and path as one, with all their locations: fifty copies
    of one unknown directive are one mistake, reported once."""
    alike: dict[tuple[str, object, tuple[str | int, ...]], list[GraphQLError]] = {}
    for error in errors:
        code = (error.extensions or {}).get("code")
        alike.setdefault((error.message, code, tuple(error.path or ())), []).append(error)
    return [group[0] if len(group) == 1 else _one_of(group) for group in alike.values()]


def _one_of(group: list[GraphQLError]) -> GraphQLError:
    first = group[0]
    positions = list(dict.fromkeys(p for error in group for p in error.positions or ()))
    return GraphQLError(
        first.message,
        source=first.source,
        positions=positions or None,
        path=first.path,
        extensions=first.extensions,
    )


def capped(errors: list[GraphQLError]) -> list[GraphQLError]:
    """At most ``MAX_ERRORS_PER_RESPONSE``, the last saying how many more there were (with
    their code when they share one, else BAD_REQUEST)."""
    limit = limits.MAX_ERRORS_PER_RESPONSE
    if len(errors) <= limit:
        return errors
    kept, dropped = errors[: limit - 1], errors[limit - 1 :]
    codes = {(error.extensions or {}).get("code") for error in dropped}
    code = codes.pop() if len(codes) == 1 else ErrorCode.BAD_REQUEST.value
    summary = GraphQLError(
        f"{len(dropped)} more errors were left out of this response.",
        extensions={"code": code, "omitted": len(dropped)},
    )
    return [*kept, summary]


class ErrorShaping(SchemaExtension):
    """Every error gets an ``extensions.code``; unexpected ones are masked as INTERNAL; alike
    ones are merged and the rest capped (``merged``, ``capped``)."""

    # The errors validation found, to tell them from those of the variables (both have no
    # path and no original error); a document that never reached validation found none.
    validation_errors: tuple[GraphQLError, ...] = ()

    def on_validate(self) -> Iterator[None]:
        yield
        self.validation_errors = tuple(self.execution_context.pre_execution_errors or ())

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = context.client.request_id if isinstance(context, RequestContext) else None
        shaped = [_shaped(error, request_id, self.validation_errors) for error in result.errors]
        result.errors = capped(merged(shaped))


class SyntaxSafeParserCache(ParserCache):
    """Strawberry's parse cache, minus its habit of raising syntax errors past the extensions.

    ``ParserCache`` parses on entering the parse step, so a syntax error escapes every
    ``on_operation`` hook and reaches the client without ``extensions.code``. A document that
    does not parse is left to Strawberry's own parse, whose error goes through ErrorShaping.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query and context.graphql_document is None:
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.cached_parse_document(
                    context.query, **context.parse_options
                )
        yield


def _holds_unstorable_text(value: Any) -> bool:
    if isinstance(value, str):
        return UNSTORABLE_TEXT.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_unstorable_text(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_unstorable_text(item) for item in value)
    return False


class StorableVariables(SchemaExtension):
    """Variables must be text we can store too (literals are checked with the document)."""

    def on_execute(self) -> Iterator[None]:
        variables = self.execution_context.variables
        if variables and _holds_unstorable_text(variables):
            self.execution_context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        UNSTORABLE_MESSAGE, extensions={"code": ErrorCode.BAD_USER_INPUT.value}
                    )
                ],
            )
        yield


class CsrfGuard(SchemaExtension):
    """Refuse a mutation a foreign page could have sent: by session cookie without a valid
    CSRF header, or as a multipart form without any credential (see ``app.sessions``)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (
            isinstance(context, RequestContext)
            and not context.csrf_verified
            and self.execution_context.operation_type is OperationType.MUTATION
        ):
            self.execution_context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Mutations need a bearer token, or the X-CSRF-Token header of the "
                        "session cookie.",
                        extensions={"code": ErrorCode.FORBIDDEN.value},
                    )
                ],
            )
        yield


class HonourGpc(SchemaExtension):
    """A request carrying Global Privacy Control opts its account, or its known visitor, out of
    marketing and advertising partners: recorded once in the ledger before anything runs, so
    work done later (a campaign, a share with a partner) honours it too."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        refused = self.execution_context.result is not None
        if isinstance(context, RequestContext) and context.client.gpc and not refused:
            subject = await context.consent_subject(start=False)
            if subject is not None:
                await consents.honour_gpc(subject)
        yield


class AuditStaffReads(SchemaExtension):
    """After an operation, write one audit row per person whose personal data staff read."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, RequestContext) or not context.access.staff_reads:
            return
        fields_read: dict[tuple[int | None, int], set[str]] = {}
        for read in context.access.staff_reads:
            fields_read.setdefault((read.actor_id, read.subject_id), set()).add(
                f"{read.model}.{read.field}"
            )
        context.access.staff_reads.clear()
        for (actor_id, subject_id), fields in fields_read.items():
            await audit.record(
                AuditAction.PII_READ,
                actor_id=actor_id,
                subject_id=subject_id,
                detail={"fields": sorted(fields)},
                ip_prefix=context.client.ip_prefix,
                request_id=context.client.request_id,
            )


class RerunQueryOnLostConnection(SchemaExtension):
    """A query whose database connection broke is run once more, on a fresh connection, by
    the view (``app.graphql_view``). A query writes only what records its reads: the broken
    attempt's answer is dropped unseen, so its staff reads get no audit rows (the rerun
    records its own), and a post's view is counted once (``RequestContext.views_counted``).
    Listed last, so this runs before ErrorShaping replaces the errors."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        result = self.execution_context.result
        if (
            not isinstance(context, RequestContext)
            or context.connection is not None
            or context.rerun
            or result is None
            or not any(
                error.original_error is not None and connection_lost(error.original_error)
                for error in result.errors or ()
            )
        ):
            return
        if self.execution_context.operation_type is OperationType.QUERY:
            context.lost_connection_under_query = True
            context.access.staff_reads.clear()

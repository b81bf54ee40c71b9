"""What a log line and a metric may say about the request being served: its id, and the
name its GraphQL operation is counted under. One context variable, set by the HTTP edge and
filled in by the GraphQL layer, so neither needs the other."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestScope:
    request_id: str
    # The operation's label (``resolvers.observed.operation_label``), once it is known.
    operation: str | None = None


CURRENT: ContextVar[RequestScope | None] = ContextVar("mentor_request_scope", default=None)


def current() -> RequestScope | None:
    return CURRENT.get()

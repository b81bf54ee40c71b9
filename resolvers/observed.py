"""Names the GraphQL operation being served for metrics and logs, from a bounded set: a
client's free-text operation name would otherwise become a label (and a log field) of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from strawberry.extensions import SchemaExtension

from core import request_scope
from services.documents import DOCUMENTS_DIR

ANONYMOUS = "anonymous"
OTHER = "other"


@cache
def known_operation_names() -> frozenset[str]:
    """The operations of ``graphql/``, the trusted documents (each file holds the operation it
    is named after): the documents our clients send, so the labels a dashboard can know."""
    return frozenset(path.stem for path in DOCUMENTS_DIR.glob("*.graphql"))


def operation_label(name: str | None) -> str:
    """A known operation's name; ``anonymous`` for none; ``other`` for any other name."""
    if not name:
        return ANONYMOUS
    return name if name in known_operation_names() else OTHER


class NameTheOperation(SchemaExtension):
    """Records the operation's label on the request scope as soon as the document is read,
    so lines logged while it runs carry it; a document that never parsed is ``anonymous``."""

    def on_execute(self) -> Iterator[None]:
        self._record()
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        self._record()

    def _record(self) -> None:
        scope = request_scope.current()
        if scope is not None:
            scope.operation = operation_label(self.execution_context.operation_name)

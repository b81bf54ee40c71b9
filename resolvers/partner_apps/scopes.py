"""Partner scopes, checked once per operation before anything runs.

Each root field and mutation a partner app may call declares its scope beside it
(``partner_scope`` in ``resolvers.base``); one that declares none is closed to partner apps.
The check reads the operation's root fields (through fragments too) against the schema, so
no resolver repeats it and a new field is closed until someone decides otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from core.errors import ErrorCode
from models.audit import AuditAction
from models.partner_apps import PartnerScope
from resolvers.base import PartnerScopeDirective
from resolvers.context import RequestContext
from services import audit
from services.access.viewer import PartnerCaller


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


def _root_fields(document: DocumentNode, selections: SelectionSetNode) -> Iterator[str]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    pending = list(selections.selections)
    seen: set[str] = set()
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(selection.selection_set.selections)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(fragment.selection_set.selections)


def declared_scope(root: GraphQLObjectType, field_name: str) -> str | None:
    """The scope a root field declares, or None when it is closed to partner apps."""
    field = root.fields.get(field_name)
    definition = field.extensions.get("strawberry-definition") if field else None
    for directive in getattr(definition, "directives", ()):
        if isinstance(directive, PartnerScopeDirective):
            return PartnerScope(directive.scope).value
    return None


def _refusal(message: str, code: ErrorCode, **extensions: object) -> GraphQLExecutionResult:
    error = GraphQLError(message, extensions={"code": code.value, **extensions})
    return GraphQLExecutionResult(data=None, errors=[error])


class PartnerScopes(SchemaExtension):
    """Refuse, before execution, an operation whose partner credential is refused or lacks a
    root field's scope; after a partner's mutation, add a row to the app's audit trail."""

    def _missing(self, partner: PartnerCaller) -> tuple[list[str], list[str]]:
        """The scopes missing, and the root fields no partner may call."""
        context = self.execution_context
        document = context.graphql_document
        operation = _operation(document, context.operation_name) if document else None
        if document is None or operation is None:
            return [], []
        root = context.schema._schema.get_root_type(operation.operation)
        if root is None:
            return [], []
        missing: set[str] = set()
        closed: set[str] = set()
        for name in _root_fields(document, operation.selection_set):
            if name.startswith("__"):
                continue  # introspection describes the schema, which is public
            scope = declared_scope(root, name)
            if scope is None:
                closed.add(name)
            elif scope not in partner.scopes:
                missing.add(scope)
        return sorted(missing), sorted(closed)

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        viewer = context.viewer if isinstance(context, RequestContext) else None
        partner = viewer.partner if viewer else None
        if viewer is not None and viewer.partner_credential_refused:
            self.execution_context.result = _refusal(
                "This partner credential is unknown, revoked or expired.",
                ErrorCode.UNAUTHENTICATED,
            )
        elif partner is not None:
            missing, closed = self._missing(partner)
            if closed:
                self.execution_context.result = _refusal(
                    f"Partner apps may not call {', '.join(closed)}.",
                    ErrorCode.INSUFFICIENT_SCOPE,
                    fields=closed,
                )
            elif missing:
                self.execution_context.result = _refusal(
                    f"This partner credential lacks the scope {', '.join(missing)}.",
                    ErrorCode.INSUFFICIENT_SCOPE,
                    scopes=missing,
                )
        yield
        if partner is not None and isinstance(context, RequestContext):
            await self._audit_mutation(context, partner)

    async def _audit_mutation(self, context: RequestContext, partner: PartnerCaller) -> None:
        execution = self.execution_context
        if (
            execution.operation_type is not OperationType.MUTATION
            or execution.graphql_document is None
        ):
            return
        operation = _operation(execution.graphql_document, execution.operation_name)
        if operation is None or execution.result is None or execution.result.data is None:
            return
        await audit.record(
            AuditAction.PARTNER_MUTATION,
            actor_id=context.viewer.user_id,
            subject_id=context.viewer.user_id,
            partner_app_id=partner.app_id,
            detail={
                "partnerApp": partner.app_id,
                "fields": sorted(
                    set(_root_fields(execution.graphql_document, operation.selection_set))
                ),
            },
            ip_prefix=context.client.ip_prefix,
            request_id=context.client.request_id,
        )

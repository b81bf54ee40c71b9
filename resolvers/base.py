"""The one mutation pattern: a payload with the changed object(s) and typed ``errors``."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, TypeVar, get_type_hints

import strawberry
from strawberry import relay
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.relay.types import GlobalIDValueError
from strawberry.types.cast import cast as strawberry_cast
from strawberry.utils.await_maybe import await_maybe

from core.errors import AccessError, DomainError, ErrorCode

ErrorCodeEnum = strawberry.enum(ErrorCode, name="ErrorCode", description="Why something failed.")


@strawberry.type(description="A problem with a mutation's input or with the state it acts on.")
class MutationError:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: ErrorCodeEnum  # type: ignore[valid-type]
    message: str

    @classmethod
    def of(cls, error: DomainError) -> MutationError:
        return cls(field=error.field, code=error.code, message=error.message)


@strawberry.type
class Payload:
    errors: list[MutationError] = strawberry.field(default_factory=list)


Resolver = TypeVar("Resolver", bound=Callable[..., Awaitable[Any]])


def payload_mutation(
    *,
    description: str,
    permissions: Sequence[BasePermission] = (),
    extensions: Sequence[FieldExtension] = (),
) -> Callable[[Resolver], Any]:
    """Declare a mutation whose domain errors become ``errors`` in its payload.

    Access errors (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED) stay top-level GraphQL errors.
    """

    def decorate(resolver: Resolver) -> Any:
        payload_type = get_type_hints(resolver)["return"]

        @functools.wraps(resolver)
        async def folding_errors(*args: Any, **kwargs: Any) -> Any:
            try:
                return await resolver(*args, **kwargs)
            except AccessError:
                raise
            except DomainError as error:
                return payload_type(errors=[MutationError.of(error)])

        field_extensions: list[FieldExtension] = list(extensions)
        if permissions:
            field_extensions.insert(0, PermissionExtension(permissions=list(permissions)))
        return strawberry.mutation(
            folding_errors, description=description, extensions=field_extensions
        )

    return decorate


async def resolve_node(
    info: strawberry.Info,
    id: Annotated[relay.GlobalID, strawberry.argument(description="The ID of the object.")],
) -> relay.Node | None:
    """Any object by global ID: null when it does not exist or the viewer may not see it.

    A plain resolver rather than ``relay.node()``, whose field cannot be built into a second
    schema in one process; an ID naming no node type is null too, so IDs cannot be probed.
    """
    try:
        node_type = id.resolve_type(info)
    except GlobalIDValueError:
        return None
    node = await await_maybe(node_type.resolve_node(id.node_id, info=info, required=False))
    return None if node is None else strawberry_cast(node_type, node)

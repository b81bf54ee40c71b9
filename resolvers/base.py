"""The one shape of an operation that needs someone: a declared guard, checked once.

``mutation`` and ``query`` take the guard the field declares (``SIGNED_IN``, ``staff(...)``),
check it once before the resolver runs, and hand the checked user to the resolver as its
``actor`` parameter, which the schema never shows; the services it calls trust that user.
A mutation's domain errors become typed ``errors`` in its payload; access errors
(UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED) stay top-level GraphQL errors.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, get_type_hints

import strawberry
from strawberry.schema_directive import Location

from core.errors import AccessError, DomainError, ErrorCode
from models.accounts import StaffPermission, User
from models.partner_apps import PartnerScope
from resolvers.context import Info

ACTOR = "actor"
E = TypeVar("E", bound=Enum)


def described_enum(
    enum: type[E], *, name: str, description: str, values: Mapping[E, str]
) -> type[E]:
    """A GraphQL enum of a domain enum (which knows nothing of GraphQL), every value with its
    description; a member left undescribed fails at import."""
    undescribed = [member.name for member in enum if member not in values]
    if undescribed or len(values) != len(enum):
        raise ValueError(f"{name}: describe every value, and nothing else: {undescribed}")
    exposed = strawberry.enum(enum, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[enum(value.value)]
    return exposed


ErrorCodeEnum = described_enum(
    ErrorCode,
    name="ErrorCode",
    description="Why something failed: `extensions.code` of a GraphQL error, `code` of a "
    "mutation payload's error.",
    values={
        ErrorCode.BAD_REQUEST: "The HTTP request was refused before any GraphQL ran: its body "
        "is not JSON, it names no query or an unknown operation, its `persistedQuery` is not "
        "version 1 with a SHA-256, or its content type, method or Accept header is not one "
        "served; the HTTP status says which.",
        ErrorCode.GRAPHQL_PARSE_FAILED: "The document is not GraphQL (a syntax error); nothing "
        "ran.",
        ErrorCode.GRAPHQL_VALIDATION_FAILED: "The document does not fit the schema or its "
        "limits (unknown field, wrong argument, too deep, too many aliases or tokens); nothing "
        "ran.",
        ErrorCode.UNAUTHENTICATED: "Sign in first: the field or mutation needs a signed-in "
        "user, or the session has ended.",
        ErrorCode.FORBIDDEN: "Not allowed for this viewer: a staff permission is missing, or a "
        "cookie-session mutation came without its X-CSRF-Token header.",
        ErrorCode.NOT_FOUND: "Nothing by that ID the viewer may see; a private row answers "
        "exactly like a missing one.",
        ErrorCode.BAD_USER_INPUT: "A value is wrong: a variable that does not fit its type, "
        "an input a rule refuses (length, format, range, combination), or text that cannot "
        "be stored.",
        ErrorCode.RATE_LIMITED: "Too many attempts, or the client's query budget holds less "
        "than the operation costs: `extensions.retryAfter` is the whole number of seconds "
        "until the next one may succeed.",
        ErrorCode.QUERY_TOO_COMPLEX: "The operation costs more than one operation may "
        "(`extensions.cost` and `extensions.limit`, in points: 1 an object, times `first` or "
        "`last` inside a page); nothing ran. Ask for smaller pages or fewer nested lists.",
        ErrorCode.CONFLICT: "The change clashes with the current state of what it acts on "
        "(already done, already taken, no longer possible).",
        ErrorCode.INTERNAL: "Something unexpected failed on the server; quote "
        "`extensions.requestId` when reporting it.",
        ErrorCode.TIMEOUT: "The operation, or one of its database statements, took longer than "
        "the server allows and was stopped; a change it had not finished was rolled back. Try "
        "again, and quote `extensions.requestId` if it keeps happening.",
        ErrorCode.RESPONSE_TOO_LARGE: "The answer would be larger than one response may be "
        "(`extensions.limit`: list items or bytes); no data was sent. Ask for smaller pages or "
        "fewer fields.",
        ErrorCode.SERVICE_UNAVAILABLE: "A service the operation needs (the database, Redis) was "
        "out of reach; nothing was changed. Try again after `extensions.retryAfter` seconds "
        "(also the `Retry-After` header).",
        ErrorCode.INVALID_CREDENTIALS: "The email address and password match no account that "
        "may log in.",
        ErrorCode.WEAK_PASSWORD: "The new password is too short, too long or too easy to guess.",
        ErrorCode.INVALID_TOKEN: "The token or code is unknown, used or expired; ask for a new "
        "one.",
        ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE: "The payment provider could not be reached or "
        "failed; nothing was recorded, try again later.",
        ErrorCode.CARD_DECLINED: "The card was declined; nothing was charged.",
        ErrorCode.CONSENT_REQUIRED: "The feature needs a consent the viewer has not given; "
        "`extensions.purpose` and `extensions.feature` name it.",
        ErrorCode.CONSENT_CONFLICT: "A consent was granted in a request carrying Global "
        "Privacy Control; the signal wins and the grant is refused.",
        ErrorCode.DELETION_BLOCKED: "The account cannot be deleted while something remains "
        "(an open job, a pending payment, a legal hold); the message lists what.",
        ErrorCode.ACCOUNT_SCHEDULED_FOR_ERASURE: "The account is waiting to be erased at its "
        "owner's request; only the owner's cancel token can keep it.",
        ErrorCode.ACCOUNT_ERASED: "The account is erased: only its pseudonymous records remain.",
        ErrorCode.ACCOUNT_DEACTIVATED: "Staff have deactivated the account; support can say "
        "why or reactivate it.",
        ErrorCode.OWN_ACCOUNT: "Staff may not take this action on their own account.",
        ErrorCode.ACCOUNT_EXISTS: "An account uses this email address already: log in to it, "
        "then link the provider.",
        ErrorCode.SOCIAL_ACCOUNT_TAKEN: "The provider account is linked to another account "
        "already.",
        ErrorCode.LAST_LOGIN_METHOD: "This is the account's only way to log in: set a "
        "password or link another provider first.",
        ErrorCode.PASSWORD_ALREADY_SET: "The account has a password already: change it with "
        "changePassword.",
        ErrorCode.EMAIL_REQUIRED: "The provider sent no email address, which an account needs.",
        ErrorCode.INVALID_STATE: "The third-party login was not started here, has expired, "
        "or its session ended.",
        ErrorCode.LOGIN_CANCELLED: "The third-party login was cancelled at the provider.",
        ErrorCode.PROVIDER_ERROR: "The login provider failed or answered something unusable.",
        ErrorCode.PERSISTED_QUERY_NOT_FOUND: "No document is known by the sha256Hash of "
        "`extensions.persistedQuery`: send it again with its `query` (message "
        "`PersistedQueryNotFound`, as Apollo's clients expect); nothing ran.",
        ErrorCode.PERSISTED_QUERY_HASH_MISMATCH: "The sha256Hash of `extensions.persistedQuery` "
        "is not the SHA-256 of the `query` sent with it; nothing ran.",
        ErrorCode.PERSISTED_QUERY_NOT_ALLOWED: "This server runs only its trusted documents "
        "for this client (`TRUSTED_DOCUMENTS_ONLY`): send one, or its hash; nothing ran.",
        ErrorCode.INSUFFICIENT_SCOPE: "A partner app's credential lacks a scope the operation "
        "needs, or calls a field no partner may call; `extensions.scopes` names what is "
        "missing. Nothing ran.",
    },
)


StaffPermissionEnum = described_enum(
    StaffPermission,
    name="StaffPermission",
    description="A named staff power.",
    values={
        StaffPermission.VIEW_PII: "Read the personal fields of anyone; each read is audited.",
        StaffPermission.MANAGE_USERS: "Find accounts, see their state, deactivate and "
        "reactivate them.",
        StaffPermission.MANAGE_PAYMENTS: "Look up billing (audited) and refund payments.",
        StaffPermission.MODERATE_CONTENT: "Read, hide and feature testimonials.",
        StaffPermission.MANAGE_POLICY: "Publish versions of the privacy policy.",
        StaffPermission.LEGAL: "Place and release legal holds; disclosures the law requires.",
        StaffPermission.SECURITY: "Read the audit log; investigate security events.",
        StaffPermission.VIEW_ANALYTICS: "Read usage counts that name nobody.",
        StaffPermission.MANAGE_MARKETING: "Write and send marketing campaigns.",
        StaffPermission.MANAGE_STAFF: "Grant and revoke staff permissions, never one's own.",
        StaffPermission.MANAGE_PARTNERS: "Register partner apps, issue, rotate and revoke "
        "their API keys, and read their audit trail.",
    },
)


PartnerScopeEnum = described_enum(
    PartnerScope,
    name="PartnerScope",
    description="What a partner app's credential may call; each root field and mutation a "
    "partner may call declares one with `@partnerScope`.",
    values={
        PartnerScope.MARKETPLACE_READ: "Read the public marketplace (`marketplace:read`): "
        "mentors, posts, testimonials, and public objects by `node`.",
        PartnerScope.USER_READ: "Read what a user who authorised the app may read about "
        "themselves (`user:read`).",
        PartnerScope.USER_WRITE: "Act as a user who authorised the app (`user:write`).",
    },
)


@strawberry.type(description="A problem with a mutation's input or with the state it acts on.")
class MutationError:
    field: str | None = strawberry.field(
        description="The input field at fault, in camelCase as sent (e.g. `jobId`); null when "
        "the problem is the state acted on rather than one field."
    )
    code: ErrorCodeEnum = strawberry.field(  # type: ignore[valid-type]
        description="What went wrong, for a client to branch on; stable across releases."
    )
    message: str = strawberry.field(
        description="An English sentence for a developer or to show the user; may change."
    )

    @classmethod
    def of(cls, error: DomainError) -> MutationError:
        return cls(field=error.field, code=error.code, message=error.message)


@strawberry.type
class Payload:
    """What every mutation's payload shares. Never served as it is: each mutation answers
    with its own ``<Mutation>Payload`` subclass, so one can grow without touching another."""

    errors: list[MutationError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed; empty when the mutation succeeded.",
    )


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="signedIn",
    description="Callers must be signed in; others get UNAUTHENTICATED.",
)
class SignedInDirective:
    pass


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="staffOnly",
    description="Callers must be staff holding `permission`; others get FORBIDDEN.",
)
class StaffOnlyDirective:
    permission: StaffPermissionEnum  # type: ignore[valid-type]


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="partnerScope",
    description="Partner apps may call this root field or mutation with `scope`; a root "
    "field without it is closed to them (INSUFFICIENT_SCOPE).",
)
class PartnerScopeDirective:
    scope: PartnerScopeEnum  # type: ignore[valid-type]


def partner_scope(scope: PartnerScope) -> PartnerScopeDirective:
    """Declare, beside a root field, the scope a partner app needs to call it."""
    return PartnerScopeDirective(scope=scope)


@dataclass(frozen=True)
class Guard:
    """Who may call a field: anyone signed in, or staff holding ``permission``. The schema
    shows it as a directive on the field."""

    permission: StaffPermission | None = None

    def check(self, info: Info) -> User:
        viewer = info.context.viewer
        if self.permission is None:
            return viewer.require_user()
        return viewer.require_permission(self.permission)

    def directive(self) -> object:
        if self.permission is None:
            return SignedInDirective()
        return StaffOnlyDirective(permission=self.permission)


SIGNED_IN = Guard()


def staff(permission: StaffPermission) -> Guard:
    return Guard(permission)


Resolver = TypeVar("Resolver", bound=Callable[..., Awaitable[Any]])
StreamResolver = TypeVar("StreamResolver", bound=Callable[..., AsyncIterator[Any]])


def _guarded(resolver: Callable[..., Any], guard: Guard | None) -> Callable[..., Any]:
    """``resolver`` behind ``guard``: called with the checked user as ``actor``, and shown to
    the schema without that parameter."""
    if guard is None:
        return resolver
    signature = inspect.signature(resolver)
    if ACTOR not in signature.parameters:
        raise TypeError(f"{resolver.__name__} is guarded: it takes the checked user as `actor`")

    def actor(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, User]:
        info = kwargs.get("info") or next(arg for arg in args if hasattr(arg, "context"))
        return {ACTOR: guard.check(info)}

    @functools.wraps(resolver)
    async def checked_call(*args: Any, **kwargs: Any) -> Any:
        return await resolver(*args, **kwargs, **actor(args, kwargs))

    @functools.wraps(resolver)
    async def checked_stream(*args: Any, **kwargs: Any) -> Any:
        async for item in resolver(*args, **kwargs, **actor(args, kwargs)):
            yield item

    # A subscription's stream is checked as it starts.
    checked: Any = checked_stream if inspect.isasyncgenfunction(resolver) else checked_call
    parameters = [p for name, p in signature.parameters.items() if name != ACTOR]
    checked.__signature__ = signature.replace(parameters=parameters)
    checked.__annotations__ = {k: v for k, v in checked.__annotations__.items() if k != ACTOR}
    return checked


def _describe_input(field: Any) -> Any:
    """A mutation takes at most one argument, ``input``; its input type describes each field."""
    for argument in field.arguments:
        if argument.python_name == "input":
            argument.description = "All of this mutation's parameters, in one object."
    return field


def _directives(guard: Guard | None, scope: PartnerScope | None) -> list[object]:
    declared = [guard.directive()] if guard else []
    return declared + ([partner_scope(scope)] if scope else [])


def mutation(
    *, description: str, guard: Guard | None = None, scope: PartnerScope | None = None
) -> Callable[[Resolver], Any]:
    """Declare a mutation: its guard, the partner scope that opens it to partner apps, and its
    domain errors folded into its payload."""

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

        declared = strawberry.mutation(
            _guarded(folding_errors, guard),
            description=description,
            directives=_directives(guard, scope),
        )
        return _describe_input(declared)

    return decorate


def query(
    *, description: str, guard: Guard, scope: PartnerScope | None = None
) -> Callable[[Resolver], Any]:
    """Declare a query field that needs someone: its guard, checked once, and the partner
    scope that opens it to partner apps."""

    def decorate(resolver: Resolver) -> Any:
        return strawberry.field(
            _guarded(resolver, guard),
            description=description,
            directives=_directives(guard, scope),
        )

    return decorate


def subscription(*, description: str, guard: Guard) -> Callable[[StreamResolver], Any]:
    """Declare a subscription that needs someone: its guard, checked once as it starts."""

    def decorate(resolver: StreamResolver) -> Any:
        return strawberry.subscription(
            _guarded(resolver, guard), description=description, directives=[guard.directive()]
        )

    return decorate


def sent_fields(data: object) -> dict[str, Any]:
    """The fields of an input the caller sent, with their values (None included: it clears);
    what they left out stays as it is."""
    return {name: value for name, value in vars(data).items() if value is not strawberry.UNSET}

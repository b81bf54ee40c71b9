"""One error hierarchy. Each class carries the ``extensions.code`` clients switch on.

Errors about the caller's input or the state of the thing they act on become typed entries in
a mutation payload's ``errors``; access errors (who you are, how often you ask) surface as
top-level GraphQL errors. Anything that is not a ``DomainError`` is masked as INTERNAL.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Each value is described for clients in ``resolvers.base.ErrorCodeEnum`` and in the
    README's table; a test fails when one is missing from either."""

    BAD_REQUEST = "BAD_REQUEST"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    CONFLICT = "CONFLICT"
    INTERNAL = "INTERNAL"
    TIMEOUT = "TIMEOUT"
    RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_TOKEN = "INVALID_TOKEN"
    PAYMENT_PROVIDER_UNAVAILABLE = "PAYMENT_PROVIDER_UNAVAILABLE"
    CARD_DECLINED = "CARD_DECLINED"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    CONSENT_CONFLICT = "CONSENT_CONFLICT"
    DELETION_BLOCKED = "DELETION_BLOCKED"
    ACCOUNT_SCHEDULED_FOR_ERASURE = "ACCOUNT_SCHEDULED_FOR_ERASURE"
    ACCOUNT_ERASED = "ACCOUNT_ERASED"
    ACCOUNT_DEACTIVATED = "ACCOUNT_DEACTIVATED"
    OWN_ACCOUNT = "OWN_ACCOUNT"
    ACCOUNT_EXISTS = "ACCOUNT_EXISTS"
    SOCIAL_ACCOUNT_TAKEN = "SOCIAL_ACCOUNT_TAKEN"
    LAST_LOGIN_METHOD = "LAST_LOGIN_METHOD"
    PASSWORD_ALREADY_SET = "PASSWORD_ALREADY_SET"
    EMAIL_REQUIRED = "EMAIL_REQUIRED"
    INVALID_STATE = "INVALID_STATE"
    LOGIN_CANCELLED = "LOGIN_CANCELLED"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    INSUFFICIENT_SCOPE = "INSUFFICIENT_SCOPE"


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None, code: ErrorCode | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    @property
    def extensions(self) -> dict[str, object]:
        """The code, and the argument or input field at fault when one is (``after``)."""
        if self.field is None:
            return {"code": self.code.value}
        return {"code": self.code.value, "field": self.field}


class BadUserInput(DomainError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class Conflict(DomainError):
    code = ErrorCode.CONFLICT


class AccessError(DomainError):
    """Raised to the top level of the response, never folded into a payload."""


class Unauthenticated(AccessError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Sign in to do this.") -> None:
        super().__init__(message)


class Forbidden(AccessError):
    code = ErrorCode.FORBIDDEN


class RateLimited(AccessError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(
            message or f"Too many attempts; try again in {retry_after_seconds} seconds."
        )
        self.retry_after_seconds = retry_after_seconds

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code.value, "retryAfter": self.retry_after_seconds}


class QueryTooComplex(AccessError):
    """The operation would cost more than one operation may (``limits.MAX_QUERY_COST``, or
    the client's whole budget when that is smaller): refused before anything runs."""

    code = ErrorCode.QUERY_TOO_COMPLEX

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            f"This operation costs {cost} points; one operation may cost at most {limit}. "
            "Ask for smaller pages (`first`, `last`) or fewer nested lists."
        )
        self.cost = cost
        self.limit = limit

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code.value, "cost": self.cost, "limit": self.limit}


class ServiceUnavailable(AccessError):
    """A dependency (the database, Redis) is out of reach for now: nothing was changed, and
    the caller may try again after ``retry_after_seconds``."""

    code = ErrorCode.SERVICE_UNAVAILABLE

    def __init__(self, retry_after_seconds: int = 1, message: str | None = None) -> None:
        super().__init__(
            message
            or "The service is briefly unavailable; nothing was changed. "
            f"Try again in {retry_after_seconds} seconds."
        )
        self.retry_after_seconds = retry_after_seconds

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code.value, "retryAfter": self.retry_after_seconds}


class ResponseTooLarge(AccessError):
    """The answer would hold more than one response may (``limits.MAX_LIST_ITEMS_PER_RESPONSE``
    or ``MAX_RESPONSE_BYTES``): the operation ends with this error alone, no data."""

    code = ErrorCode.RESPONSE_TOO_LARGE

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(
            f"The answer would hold more than {limit} {what}, more than one response may; "
            "ask for smaller pages or fewer fields."
        )
        self.limit = limit

    @property
    def extensions(self) -> dict[str, object]:
        return {"code": self.code.value, "limit": self.limit}

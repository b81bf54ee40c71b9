"""The rules of the GraphQL-over-HTTP spec the view follows: which media type an answer takes,
and the status a GraphQL result gets in it.

``application/graphql-response+json`` lets the status say what happened: a request error (the
document did not parse or validate, the variables did not fit, a guard refused the operation
before it ran) is a 4xx with no ``data``, a result with field errors a 200. Legacy clients
asking for ``application/json`` (or anything, ``*/*``) get every GraphQL result as a 200, as
they always did.
"""

from __future__ import annotations

from strawberry.types import ExecutionResult

from core.errors import ErrorCode
from services.budgets import QueryCost

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
# A request without Accept is a client of the current spec.
DEFAULT_MEDIA_TYPE = GRAPHQL_RESPONSE

# A result without data whose every error has this code gets this status instead of 400. An
# unknown persisted-query hash is a 404, as Apollo's router answers it. TIMEOUT: the operation
# began but was stopped as a whole, so there is no data to give; the spec asks a 4xx or 5xx
# "as appropriate" then, and a gateway's timeout is 504. A dependency out of reach is 503.
REQUEST_ERROR_STATUS = {
    ErrorCode.FORBIDDEN.value: 403,
    ErrorCode.INSUFFICIENT_SCOPE.value: 403,
    ErrorCode.PERSISTED_QUERY_NOT_FOUND.value: 404,
    ErrorCode.RATE_LIMITED.value: 429,
    ErrorCode.TIMEOUT.value: 504,
    ErrorCode.SERVICE_UNAVAILABLE.value: 503,
}


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an Accept header, with their weights (``q``)."""
    ranges = []
    for part in accept.split(","):
        media_range, *parameters = (piece.strip() for piece in part.split(";"))
        if not media_range:
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        ranges.append((media_range.lower(), weight))
    return ranges


def _acceptance(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """How much the client wants ``media_type``: the weight of the most specific range that
    covers it (exact, ``application/*``, ``*/*``), and that range's specificity."""
    kind = media_type.split("/")[0]
    best: tuple[float, int] = (0.0, -1)
    for media_range, weight in ranges:
        specificity = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(media_range)
        if specificity is not None and specificity > best[1]:
            best = (weight, specificity)
    return best


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts neither.

    Named outright, ``application/graphql-response+json`` wins a tie; reached through a
    wildcard only, ``application/json`` does, as legacy clients send ``*/*``."""
    if accept is None or not accept.strip():
        return DEFAULT_MEDIA_TYPE
    ranges = _media_ranges(accept)
    graphql_weight, graphql_specificity = _acceptance(GRAPHQL_RESPONSE, ranges)
    json_weight, _ = _acceptance(JSON, ranges)
    if graphql_weight <= 0 and json_weight <= 0:
        return None
    if graphql_weight != json_weight:
        return GRAPHQL_RESPONSE if graphql_weight > json_weight else JSON
    return GRAPHQL_RESPONSE if graphql_specificity == 2 else JSON


def is_request_error(result: ExecutionResult) -> bool:
    """Execution never began, or was stopped as a whole (TIMEOUT). Every field error has a
    path; the errors before execution (parse, validation, variables, a guard's refusal) and
    the request timeout's have none, and no data."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def status_of(result: ExecutionResult, media_type: str) -> int:
    """The HTTP status of a GraphQL result answered in ``media_type``."""
    if media_type != GRAPHQL_RESPONSE or not is_request_error(result):
        return 200
    codes = {(error.extensions or {}).get("code") for error in result.errors or ()}
    if len(codes) == 1:
        return REQUEST_ERROR_STATUS.get(str(codes.pop()), 400)
    return 400


def rate_limit_headers(cost: QueryCost) -> dict[str, str]:
    """The client's bucket after this operation: its size, what it holds, and the seconds
    until it is full again (delta seconds, as the IETF RateLimit draft, not a time of day);
    ``Retry-After`` when the bucket held too little for the operation."""
    bucket = cost.bucket
    headers = {
        "X-RateLimit-Limit": str(bucket.maximum),
        "X-RateLimit-Remaining": str(int(bucket.available)),
        "X-RateLimit-Reset": str(bucket.seconds_until(bucket.maximum)),
    }
    if cost.retry_after is not None:
        headers["Retry-After"] = str(cost.retry_after)
    return headers


def unavailable_retry_after(result: ExecutionResult) -> int | None:
    """The seconds to send as ``Retry-After`` when a dependency was out of reach
    (SERVICE_UNAVAILABLE), the longest any error asks; None when none was."""
    waits = [
        int(extensions.get("retryAfter", 1))
        for extensions in (error.extensions or {} for error in result.errors or ())
        if extensions.get("code") == ErrorCode.SERVICE_UNAVAILABLE.value
    ]
    return max(waits, default=None)

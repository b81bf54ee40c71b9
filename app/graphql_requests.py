"""What a GraphQL request over HTTP may be, before Strawberry reads it: JSON within
``MAX_JSON_DEPTH``, an object whose members have the types the spec gives them, and a multipart
``map`` of the spec's shape. Anything else is a 400 (``HTTPException``), never an exception
from deeper down."""

from __future__ import annotations

import json

from cross_web import HTTPException
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol

from core import limits

NOT_JSON = "Unable to parse request body as JSON"
TOO_DEEP = f"The request's JSON is nested deeper than {limits.MAX_JSON_DEPTH} levels."
NOT_AN_OBJECT = "The GraphQL request must be a JSON object."
MISFIT_MAP = (
    "The multipart `map` must be an object of lists of paths into `operations`, "
    "each naming a place in it."
)
# What the spec says each member must be, in Strawberry's words (it checks all but
# operationName, which then ran as "Unknown operation named 5").
MEMBER_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "query": ((str,), "a string"),
    "operationName": ((str,), "a string"),
    "variables": ((dict,), "an object"),
    "extensions": ((dict,), "an object"),
}


class JSONTooDeep(json.JSONDecodeError):
    """JSON nested past ``MAX_JSON_DEPTH``: a decode error, so the WebSocket transport, which
    catches those, closes the connection as it does for any message that is not JSON."""

    def __init__(self) -> None:
        super().__init__(TOO_DEEP, "", 0)


def decode_request_json(data: str | bytes) -> object:
    """JSON a client sent, within ``MAX_JSON_DEPTH``. The decoder stops at the stack's limit
    (a RecursionError, caught here), and the walk after it, without recursion, holds ours, so
    nothing deeper reaches code that recurses (variable coercion, our checks of variables).
    Bytes that are not UTF-8 are not JSON. (The standard decoder, not orjson: orjson refuses a
    lone surrogate escape, which the GraphQL layer answers as BAD_USER_INPUT, by its field.)"""
    try:
        decoded = json.loads(data)
    except RecursionError as error:
        raise JSONTooDeep() from error
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(NOT_JSON, "", 0) from error
    if _deeper_than(decoded, limits.MAX_JSON_DEPTH):
        raise JSONTooDeep()
    return decoded


def _deeper_than(value: object, depth: int) -> bool:
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        found, level = pending.pop()
        if not isinstance(found, dict | list):
            continue
        if level > depth:
            return True
        children = found.values() if isinstance(found, dict) else found
        pending += [(child, level + 1) for child in children]
    return False


def is_files_map(found: object) -> bool:
    """The GraphQL multipart request spec's ``map``: each file's paths in ``operations``."""
    return isinstance(found, dict) and all(
        isinstance(paths, list) and all(isinstance(path, str) for path in paths)
        for paths in found.values()
    )


def request_data(data: object, protocol: GraphQLRequestProtocol) -> GraphQLRequestData:
    """One GraphQL request from the decoded body or query string, each member of the type
    the spec gives it (Strawberry checks three, and a body that is not an object not at all)."""
    if not isinstance(data, dict):
        raise HTTPException(400, NOT_AN_OBJECT)
    for member, (types, named) in MEMBER_TYPES.items():
        if not isinstance(data.get(member), (*types, type(None))):
            raise HTTPException(
                400, f"The GraphQL operation's `{member}` must be {named} or null, if provided."
            )
    return GraphQLRequestData(
        query=data.get("query"),
        variables=data.get("variables"),
        operation_name=data.get("operationName"),
        extensions=data.get("extensions"),
        protocol=protocol,
    )

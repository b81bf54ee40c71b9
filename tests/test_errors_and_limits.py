"""Errors clients can act on, masked internals, and the limits that bound a query."""

from __future__ import annotations

import logging

import pytest
from strawberry.extensions import ValidationCache

from core.limits import MAX_CACHED_DOCUMENTS
from services import accounts
from tests.support.documents import document, location_of
from tests.support.graphql import GraphQLClient, error_codes

REQUEST_RESET = document("RequestPasswordReset")
LOG_OUT = document("LogOut")


async def test_an_unexpected_exception_is_masked_and_logged_without_personal_data(
    graphql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, email: str, **kwargs: object) -> None:
        raise ValueError(f"no account for {email}")

    monkeypatch.setattr(accounts, "request_password_reset", broken)
    caplog.set_level(logging.DEBUG)
    body = await graphql(
        REQUEST_RESET,
        {"input": {"email": "alice@example.com"}},
        headers={"X-Request-Id": "req-42"},
    )

    assert body["data"] is None
    assert body["errors"] == [
        {
            "message": "Internal error",
            "locations": [location_of("RequestPasswordReset", "requestPasswordReset")],
            "path": ["requestPasswordReset"],
            "extensions": {"code": "INTERNAL", "requestId": "req-42"},
        }
    ]
    logged = [r for r in caplog.records if r.name == "mentor_api.graphql"]
    assert len(logged) == 1
    assert "ValueError" in logged[0].getMessage()
    assert "req-42" in logged[0].getMessage()
    for record in caplog.records:
        assert "alice@example.com" not in record.getMessage()
        assert "alice@example.com" not in (record.exc_text or "")


async def test_a_domain_error_keeps_its_message(graphql: GraphQLClient) -> None:
    body = await graphql(REQUEST_RESET, {"input": {"email": "not an address"}})
    assert body == {
        "data": {
            "requestPasswordReset": {
                "errors": [
                    {
                        "field": "email",
                        "code": "BAD_USER_INPUT",
                        "message": "Enter a valid email address.",
                    }
                ]
            }
        }
    }


async def test_a_too_deep_query_is_refused(graphql: GraphQLClient) -> None:
    deep = "{ me " + "{ a " * 12 + "{ id }" + " }" * 12 + " }"
    body = await graphql(deep)
    assert "data" not in body or body["data"] is None
    assert set(error_codes(body)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("exceeds maximum operation depth" in e["message"] for e in body["errors"])


async def test_too_many_aliases_are_refused(graphql: GraphQLClient) -> None:
    many = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    body = await graphql(many)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in body["errors"][0]["message"]
    few = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(30)) + " }"
    assert "errors" not in await graphql(few)


async def test_a_repeated_document_is_validated_once(graphql: GraphQLClient) -> None:
    validate = ValidationCache(maxsize=MAX_CACHED_DOCUMENTS).cached_validate_document
    document = "query RepeatedForTheCache { me { id name } }"
    assert "errors" not in await graphql(document)
    hits_before = validate.cache_info().hits
    assert "errors" not in await graphql(document)
    assert validate.cache_info().hits == hits_before + 1


async def test_a_syntax_error_is_a_parse_failure(graphql: GraphQLClient) -> None:
    body = await graphql("{ me { ")
    assert body["errors"] == [
        {
            "message": "Syntax Error: Expected Name, found <EOF>.",
            "locations": [{"line": 1, "column": 8}],
            "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
        }
    ]


async def test_too_many_tokens_are_refused(graphql: GraphQLClient) -> None:
    long = "{ me { " + " ".join(["id"] * 2100) + " } }"
    body = await graphql(long)
    # The parser stops at the limit with a syntax error; the document broke a limit.
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_validation_errors_stay_readable_without_field_suggestions(
    graphql: GraphQLClient,
) -> None:
    body = await graphql("{ mee { id } }")
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    message = body["errors"][0]["message"]
    assert message == "Cannot query field 'mee' on type 'Query'."
    assert "Did you mean" not in message


async def test_access_errors_are_top_level_with_their_code(graphql: GraphQLClient) -> None:
    body = await graphql(LOG_OUT)
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Sign in to do this.",
                "locations": [location_of("LogOut", "logOut")],
                "path": ["logOut"],
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }

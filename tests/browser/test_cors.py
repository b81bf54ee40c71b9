"""CORS: a web client on an origin in CORS_ORIGINS calls the API with the user's cookie; a
page on any other origin gets nothing it can read, and the browser refuses it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import BrowserContext, Error, Page

from app.server import create_app
from core.settings import ConfigurationError, Settings
from models.accounts import Session, User
from tests.support.documents import document
from tests.support.users import PASSWORD, UserFactory
from tests.support.web_pages import serving_page

# What a web client's own script does: JSON over fetch, with the cookie, and the CSRF token
# of the logIn payload (on another host, it cannot read the API's mentor_csrf cookie).
WEB_CLIENT = """<!doctype html>
<html><head><meta charset="utf-8"><title>web client</title><script>
async function graphql(api, query, variables, csrfToken) {
  const headers = {"Content-Type": "application/json"};
  if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(api, {
    method: "POST", credentials: "include", headers, body: JSON.stringify({query, variables}),
  });
  return {requestId: response.headers.get("X-Request-Id"), body: await response.json()};
}
</script></head><body></body></html>
"""
CALL = "([api, query, variables, csrf]) => graphql(api, query, variables, csrf)"


@pytest.fixture(scope="module")
async def allowed_origin(web_client_socket: socket.socket) -> AsyncIterator[str]:
    """The web client's pages, on the origin the test settings put in CORS_ORIGINS."""
    async with serving_page(WEB_CLIENT, on=web_client_socket) as origin:
        yield origin


@pytest.fixture
def api(http: TestClient[Any, Any]) -> str:
    return str(http.make_url("/graphql"))


async def _call(
    page: Page, api: str, name: str, variables: dict[str, Any], csrf: str | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = await page.evaluate(CALL, [api, document(name), variables, csrf])
    return answer


async def test_a_web_client_on_an_allowed_origin_logs_in_and_mutates_with_the_cookie(
    browser: BrowserContext, allowed_origin: str, api: str, users: UserFactory
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    page = await browser.new_page()
    await page.goto(allowed_origin)

    credentials = {"input": {"email": "alice@example.com", "password": PASSWORD}}
    logged_in = await _call(page, api, "LogIn", credentials)
    payload = logged_in["body"]["data"]["logIn"]
    assert payload["errors"] == []
    assert payload["token"] is None  # the session stays in the HttpOnly cookie
    assert logged_in["requestId"]  # an exposed header: the client can quote it to support

    renamed = await _call(
        page, api, "UpdateProfile", {"input": {"name": "Alice W."}}, payload["csrfToken"]
    )
    assert "errors" not in renamed["body"]
    assert renamed["body"]["data"]["updateProfile"]["user"]["name"] == "Alice W."
    assert (await User.get(id=alice.user.id)).name == "Alice W."

    me = await _call(page, api, "Me", {})
    assert me["body"]["data"]["me"]["email"] == "alice@example.com"


async def test_a_page_on_another_origin_cannot_call_the_api(
    browser: BrowserContext, api: str, users: UserFactory
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    sessions = await Session.filter(user_id=alice.user.id).count()
    async with serving_page(WEB_CLIENT) as foreign_origin:
        page = await browser.new_page()
        await page.goto(foreign_origin)
        credentials = {"input": {"email": "alice@example.com", "password": PASSWORD}}
        with pytest.raises(Error, match="Failed to fetch"):
            await _call(page, api, "LogIn", credentials)
    # The preflight was refused, so the log-in itself was never sent.
    assert await Session.filter(user_id=alice.user.id).count() == sessions


def _cors_headers(response: Any) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.lower().startswith("access-control-") or name.lower() == "vary"
    }


async def test_a_preflight_from_an_allowed_origin_is_answered(
    http: TestClient[Any, Any], allowed_origin: str
) -> None:
    response = await http.options(
        "/graphql",
        headers={
            "Origin": allowed_origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-csrf-token",
        },
    )
    assert response.status == 204
    assert _cors_headers(response) == {
        "Access-Control-Allow-Origin": allowed_origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, X-CSRF-Token, X-Request-Id",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


async def test_a_preflight_from_another_origin_is_refused(http: TestClient[Any, Any]) -> None:
    response = await http.options(
        "/graphql",
        headers={"Origin": "http://127.0.0.1:9", "Access-Control-Request-Method": "POST"},
    )
    assert response.status == 403
    assert _cors_headers(response) == {"Vary": "Origin"}


@pytest.mark.parametrize("path", ["/graphql", "/privacy-policy"])
async def test_an_allowed_origin_may_read_the_answer(
    http: TestClient[Any, Any], allowed_origin: str, path: str
) -> None:
    response = await http.get(
        path, params={"query": "{ __typename }"}, headers={"Origin": allowed_origin}
    )
    assert response.status == 200
    assert _cors_headers(response) == {
        "Access-Control-Allow-Origin": allowed_origin,
        "Access-Control-Allow-Credentials": "true",
        "Access-Control-Expose-Headers": "X-Request-Id, Privacy-Policy-Version",
        "Vary": "Origin",
    }


@pytest.mark.parametrize("origin", ["http://127.0.0.1:9", "null", None])
async def test_any_other_caller_gets_no_cors_headers(
    http: TestClient[Any, Any], origin: str | None
) -> None:
    """Not an allowed origin, or no origin at all: the answer still says it depends on it."""
    headers = {"Origin": origin} if origin else {}
    response = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status == 200
    assert _cors_headers(response) == {"Vary": "Origin"}


async def test_paths_no_web_client_fetches_have_no_cors(
    http: TestClient[Any, Any], allowed_origin: str
) -> None:
    response = await http.get("/healthz", headers={"Origin": allowed_origin})
    assert _cors_headers(response) == {}


@pytest.mark.parametrize(
    "origins",
    [("*",), ("https://app.example/path",), ("app.example",)],
)
def test_cors_origins_must_name_origins(settings: Settings, origins: tuple[str, ...]) -> None:
    with pytest.raises(ConfigurationError, match="CORS_ORIGINS"):
        create_app(settings.with_overrides(cors_origins=origins))

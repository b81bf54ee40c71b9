"""Mail links followed in headless Chromium, as the person who received the mail would: the
page opens, acts on nothing until its button is pressed, and finishes through the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient
from playwright.async_api import BrowserContext, Page

from models.accounts import User
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox, links_in
from tests.support.users import PASSWORD, UserFactory

SIGN_UP = document("SignUp")
LOG_IN = document("LogIn")
ME = document("Me")
REQUEST_RESET = document("RequestPasswordReset")
NEW_PASSWORD = "a brand new passphrase for alice"


async def open_link(
    browser: BrowserContext, http: TestClient[Any, Any], link: str
) -> tuple[Page, list[str]]:
    """Open the mail's link on the test server (it listens on a port of its own); the page and
    the console errors it logs (a script the page's CSP refused, a failed request)."""
    parts = urlsplit(link)
    page = await browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = await page.goto(str(http.make_url(f"{parts.path}?{parts.query}")))
    assert response is not None and response.status == 200
    return page, problems


async def test_following_the_verification_link_confirms_the_address_in_the_browser(
    graphql: GraphQLClient, mailbox: Mailbox, http: TestClient[Any, Any], browser: BrowserContext
) -> None:
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    [link] = links_in(await mailbox.wait_for("alice@example.com", "Verify your email"))

    page, problems = await open_link(browser, http, link)
    assert await page.text_content("h1") == "Confirm your email address"
    # Opening the link acts on nothing until the button is pressed: mail scanners open links.
    assert (await User.get(email="alice@example.com")).email_verified is False
    assert "token" not in page.url, "the token leaves the address bar once read"
    await page.click("button")
    await page.wait_for_selector("text=is confirmed")
    assert await page.text_content("#message") == (
        "alice@example.com is confirmed. You can close this page."
    )
    assert problems == []
    await page.close()

    logged_in = await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": PASSWORD, "session": "TOKEN"}}
    )
    assert (await graphql.data(ME, token=logged_in["logIn"]["token"]))["me"]["emailVerified"]


async def test_following_the_reset_link_sets_the_new_password_in_the_browser(
    graphql: GraphQLClient,
    mailbox: Mailbox,
    http: TestClient[Any, Any],
    browser: BrowserContext,
    users: UserFactory,
) -> None:
    await users.create("Alice", email="alice@example.com")
    await graphql.data(REQUEST_RESET, {"input": {"email": "alice@example.com"}})
    [link] = links_in(await mailbox.wait_for("alice@example.com", "Reset your password"))

    page, problems = await open_link(browser, http, link)
    await page.fill("#password", NEW_PASSWORD)
    await page.click("button")
    await page.wait_for_selector("text=Your password is changed")
    assert problems == []
    await page.close()

    logged_in = await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": NEW_PASSWORD}}
    )
    assert logged_in["logIn"]["errors"] == []


async def test_a_spent_link_and_the_payouts_return_say_so_in_the_browser(
    http: TestClient[Any, Any], browser: BrowserContext
) -> None:
    page, problems = await open_link(browser, http, "http://x/app/verify?token=spent-or-forged")
    await page.click("button")
    await page.wait_for_selector("text=invalid")
    assert await page.text_content("#message") == "This link is invalid or has expired."
    await page.goto(str(http.make_url("/app/payouts?done=1")))
    assert await page.text_content("#message") == (
        "Payout onboarding is finished. Once Stripe confirms it, me.payoutStatus reads READY."
    )
    assert problems == []
    await page.close()

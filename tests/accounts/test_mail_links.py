"""Mail links open the web client and finish there: the mail as the SMTP server received it,
its link followed in a real browser (headless Chromium) on the pages this server serves."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, Page, async_playwright

from core.runtime import Runtime
from core.settings import Settings
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, UserFactory

SIGN_UP = document("SignUp")
LOG_IN = document("LogIn")
ME = document("Me")
VERIFY_EMAIL = document("VerifyEmail")
REQUEST_RESET = document("RequestPasswordReset")
REQUEST_DELETION = document("RequestAccountDeletion")
NEW_PASSWORD = "a brand new passphrase for alice"
# What verifyEmail's holder may still not read: rows of the account other than the account.
VERIFY_AND_LOOK_AROUND = """
mutation VerifyAndLookAround($input: VerifyEmailInput!) {
  verifyEmail(input: $input) {
    user { email emailVerified paymentMethods { edges { node { id } } } payoutStatus }
  }
}
"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless: the suite needs it installed (`apt-get install chromium`)."""
    executable = shutil.which("chromium")
    assert executable, "the browser tests need Chromium: apt-get install -y chromium"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        await launched.close()


def plain_part(message: EmailMessage) -> EmailMessage:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return body


def links_in(message: EmailMessage) -> list[str]:
    """Every link of the text, each of which must stand whole on a line of its own."""
    lines = plain_part(message).get_content().splitlines()
    return [line for line in lines if re.fullmatch(r"https?://\S+", line)]


async def open_link(
    browser: Browser, http: TestClient[Any, Any], link: str
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


async def test_the_verification_mail_is_7bit_with_the_link_and_the_token_on_lines_of_their_own(
    graphql: GraphQLClient, mailbox: Mailbox, settings: Settings
) -> None:
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    mail = await mailbox.wait_for("alice@example.com", "Verify your email")

    text = plain_part(mail)
    assert text["Content-Transfer-Encoding"] == "7bit"
    assert "=\n" not in text.get_payload() and "=\r\n" not in text.get_payload()
    [link] = links_in(mail)
    token = link.split("token=")[1]
    assert link == f"{settings.web_app_base}/verify?token={token}"
    assert token in text.get_content().splitlines()


async def test_following_the_verification_link_confirms_the_address_in_the_browser(
    graphql: GraphQLClient, mailbox: Mailbox, http: TestClient[Any, Any], browser: Browser
) -> None:
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    [link] = links_in(await mailbox.wait_for("alice@example.com", "Verify your email"))

    page, problems = await open_link(browser, http, link)
    # Opening the link acts on nothing: mail scanners open links too.
    assert await page.text_content("h1") == "Confirm your email address"
    assert "token" not in page.url, "the token leaves the address bar once read"
    await page.click("button")
    await page.wait_for_selector("text=is confirmed")
    assert await page.text_content("#message") == (
        "alice@example.com is confirmed. You can close this page."
    )
    assert problems == []
    await page.close()

    logged_in = await graphql.data(
        LOG_IN, {"input": {"email": "alice@example.com", "password": PASSWORD}}
    )
    assert (await graphql.data(ME, token=logged_in["logIn"]["token"]))["me"]["emailVerified"]


async def test_the_page_a_link_opens_allows_only_its_own_script(
    http: TestClient[Any, Any],
) -> None:
    page = await http.get("/app/verify?token=anything")
    assert page.status == 200
    assert page.headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; connect-src 'self'; form-action 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )
    html = await page.text()
    assert '<script src="app.js" defer></script>' in html
    assert "<script>" not in html and "http" not in html, "no inline script, no other origin"
    script = await http.get("/app/app.js")
    assert (script.status, script.content_type) == (200, "text/javascript")
    assert (await http.get("/app/anything-else")).status == 404


async def test_following_the_reset_link_sets_the_new_password_in_the_browser(
    graphql: GraphQLClient,
    mailbox: Mailbox,
    http: TestClient[Any, Any],
    browser: Browser,
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


async def test_the_deletion_mail_links_to_confirming_and_to_cancelling(
    graphql: GraphQLClient, mailbox: Mailbox, users: UserFactory, settings: Settings
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    await graphql.data(REQUEST_DELETION, token=alice.token)
    confirm, cancel = links_in(await mailbox.wait_for("alice@example.com", "Confirm the deletion"))
    assert confirm.startswith(f"{settings.web_app_base}/confirm-deletion?token=")
    assert cancel.startswith(f"{settings.web_app_base}/cancel-deletion?token=")


async def test_links_open_the_web_client_that_web_app_url_names(
    graphql: GraphQLClient, mailbox: Mailbox, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    changed = runtime.settings.with_overrides(web_app_url="https://app.example")
    monkeypatch.setattr(runtime, "settings", changed)
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    [link] = links_in(await mailbox.wait_for("alice@example.com", "Verify your email"))
    assert re.fullmatch(r"https://app\.example/verify\?token=[A-Za-z0-9_-]+", link)


async def test_verify_email_shows_its_holder_the_account_and_nothing_else_of_theirs(
    graphql: GraphQLClient, mailbox: Mailbox
) -> None:
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    [link] = links_in(await mailbox.wait_for("alice@example.com", "Verify your email"))
    token = link.split("token=")[1]

    # Anonymous: no session, only the token.
    verified = await graphql.data(VERIFY_AND_LOOK_AROUND, {"input": {"token": token}})
    assert verified == {
        "verifyEmail": {
            "user": {
                "email": "alice@example.com",
                "emailVerified": True,
                "paymentMethods": None,
                "payoutStatus": None,
            }
        }
    }


async def test_a_spent_link_and_the_payouts_return_say_so_in_the_browser(
    http: TestClient[Any, Any], browser: Browser
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

"""Mail links point to the web client (WEB_APP_URL, else the pages this server serves under
/app), as the SMTP server received them: 7bit text, each link and token whole on its line."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core.runtime import Runtime
from core.settings import Settings
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox, links_in, plain_part
from tests.support.users import PASSWORD, UserFactory

SIGN_UP = document("SignUp")
REQUEST_DELETION = document("RequestAccountDeletion")
# What verifyEmail's holder may still not read: rows of the account other than the account.
VERIFY_AND_LOOK_AROUND = """
mutation VerifyAndLookAround($input: VerifyEmailInput!) {
  verifyEmail(input: $input) {
    user { email emailVerified paymentMethods { edges { node { id } } } payoutStatus }
  }
}
"""


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

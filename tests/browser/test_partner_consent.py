"""A partner app's authorization request followed in headless Chromium by a signed-in user:
the consent page asks, acts on nothing until its button is pressed, and sends the browser
back to the app with a code the app exchanges with its PKCE verifier."""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from aiohttp.test_utils import TestClient
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from playwright.async_api import BrowserContext, Route

from app.sessions import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from core.settings import Settings
from models.partner_apps import PartnerGrant
from tests.partner_apps.helpers import partner_manager
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import UserFactory

# The partner's own site, answered by the browser itself: nothing listens there.
CALLBACK = "http://127.0.0.1:9/callback"


async def test_a_signed_in_user_allows_a_partner_app_in_the_browser(
    graphql: GraphQLClient,
    http: TestClient[Any, Any],
    browser: BrowserContext,
    users: UserFactory,
    settings: Settings,
) -> None:
    staff = await partner_manager(users)
    created = await graphql.data(
        document("CreatePartnerApp"),
        {"input": {"name": "Scheduler", "scopes": ["USER_READ"], "redirectUris": [CALLBACK]}},
        token=staff.token,
    )
    partner = created["createPartnerApp"]
    ada = await users.create("Ada")
    api = str(http.make_url("/"))
    await browser.add_cookies(
        [
            {"name": SESSION_COOKIE, "value": ada.token, "url": api},
            {"name": CSRF_COOKIE, "value": csrf_token_for(settings, ada.token), "url": api},
        ]
    )
    back: list[str] = []

    async def partner_site(route: Route) -> None:
        back.append(route.request.url)
        await route.fulfill(status=200, body="back at the partner", content_type="text/plain")

    await browser.route(f"{CALLBACK}**", partner_site)
    verifier = secrets.token_urlsafe(48)
    asked = {
        "response_type": "code",
        "client_id": partner["partnerApp"]["clientId"],
        "scope": "user:read",
        "state": "from-the-app",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    page = await browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(str(http.make_url(f"/oauth/authorize?{urlencode(asked)}")))
    await page.wait_for_selector("text=asks to act for you")
    assert await PartnerGrant.all().count() == 0, "opening the page grants nothing"

    await page.click("button")
    await page.wait_for_url(f"{CALLBACK}**")
    returned = parse_qs(urlsplit(back[0]).query)
    assert returned["state"] == ["from-the-app"]
    assert problems == []

    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": returned["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        },
        headers={"Authorization": _basic(partner["partnerApp"]["clientId"], partner["key"])},
    )
    assert response.status == 200
    token = (await response.json())["access_token"]
    me = await graphql.data("query Me { me { id } }", token=token)
    assert me == {"me": {"id": ada.global_id}}


def _basic(client_id: str, secret: str) -> str:
    """HTTP Basic client authentication (RFC 6749 §2.3.1), the other way an app may send it."""
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()

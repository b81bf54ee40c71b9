"""Every marketing mail unsubscribes in one click (RFC 8058), without a login, recorded in the
ledger; a link followed (GET) unsubscribes nobody; a forged link changes nothing (P16)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from core.settings import Settings
from models.privacy import ConsentRecord, ConsentSource
from services import marketing
from tests.marketing.helpers import choose, create_campaign, delivered, opted_in, send_campaign
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P16")

# What `curl -X POST -d 'List-Unsubscribe=One-Click' '<link>'` sends, as RFC 8058 mail
# clients do.
CURL = {
    "User-Agent": "curl/8.5.0",
    "Accept": "*/*",
    "Content-Type": "application/x-www-form-urlencoded",
}
ONE_CLICK = b"List-Unsubscribe=One-Click"


def unsubscribe_link(mail: EmailMessage) -> str:
    """The link of the mail's List-Unsubscribe header, checked against RFC 8058."""
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    found = re.fullmatch(r"<(\S+)>", str(mail["List-Unsubscribe"]))
    assert found, mail["List-Unsubscribe"]
    return found.group(1)


def local(link: str) -> str:
    """The link's path and query, for the test client serving ``PUBLIC_URL``."""
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def campaign_mail(
    graphql: GraphQLClient, marketer: SignedIn, mailbox: Mailbox, to: str, subject: str
) -> EmailMessage:
    await send_campaign(graphql, marketer, await create_campaign(graphql, marketer, subject))
    return await mailbox.wait_for(to, subject)


async def marketing_choices(person: SignedIn) -> list[tuple[bool, ConsentSource]]:
    records = ConsentRecord.filter(user_id=person.user.id, purpose="MARKETING_EMAIL")
    return [(r.granted, r.source) for r in await records.order_by("decided_at", "id")]


async def test_one_click_unsubscribe_over_a_plain_curl_post_stops_further_campaigns(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    marketer: SignedIn,
    mailbox: Mailbox,
    settings: Settings,
) -> None:
    """The issue's done-when, with the mail as the test SMTP server received it."""
    alice = await opted_in(graphql, users, "Alice")
    bob = await opted_in(graphql, users, "Bob")
    mail = await campaign_mail(graphql, marketer, mailbox, alice.user.email, "Spring offers")
    link = unsubscribe_link(mail)
    assert link.startswith(f"{settings.public_url}/unsubscribe?token=")
    assert link in mail.get_content(), "the text links to the same page"

    response = await http.post(local(link), data=ONE_CLICK, headers=CURL)

    assert response.status == 200
    assert await marketing_choices(alice) == [
        (True, ConsentSource.API),
        (False, ConsentSource.WEB),
    ]
    await send_campaign(graphql, marketer, await create_campaign(graphql, marketer, "Summer"))
    assert await delivered("Summer") == [bob.user.email]
    assert [str(m["Subject"]) for m in mailbox.to(alice.user.email)] == ["Spring offers"]


async def test_a_post_without_the_form_body_unsubscribes_too_and_repeating_it_records_once(
    http: TestClient[Any, Any], users: UserFactory, settings: Settings, graphql: GraphQLClient
) -> None:
    alice = await opted_in(graphql, users, "Alice")
    link = marketing.unsubscribe_url(settings, alice.user.id)
    for _ in range(2):
        response = await http.post(local(link), headers={"User-Agent": "curl/8.5.0"})
        assert response.status == 200
    assert await marketing_choices(alice) == [
        (True, ConsentSource.API),
        (False, ConsentSource.WEB),
    ]


async def test_following_the_link_shows_a_form_and_unsubscribes_nobody(
    http: TestClient[Any, Any], users: UserFactory, settings: Settings, graphql: GraphQLClient
) -> None:
    alice = await opted_in(graphql, users, "Alice")
    link = marketing.unsubscribe_url(settings, alice.user.id)

    page = await http.get(local(link))

    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    text = await page.text()
    form = re.search(r'<form method="post" action="([^"]+)">', text)
    assert form and form.group(1) == local(link)
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in text
    assert await marketing_choices(alice) == [(True, ConsentSource.API)]
    submitted = await http.post(form.group(1), data={"List-Unsubscribe": "One-Click"})
    assert submitted.status == 200
    assert (await marketing_choices(alice))[-1] == (False, ConsentSource.WEB)


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


async def test_forged_altered_or_garbled_tokens_are_refused_and_change_nothing(
    http: TestClient[Any, Any], users: UserFactory, settings: Settings, graphql: GraphQLClient
) -> None:
    alice = await opted_in(graphql, users, "Alice")
    bob = await opted_in(graphql, users, "Bob")
    alices = _token(marketing.unsubscribe_url(settings, alice.user.id))
    bobs = _token(marketing.unsubscribe_url(settings, bob.user.id))
    other_secret = marketing.unsubscribe_token("another-secret", alice.user.id)
    refused = [
        f"{alice.user.id}.{bobs.split('.')[1]}",  # Bob's signature on Alice's id
        f"{bob.user.id}.{alices.split('.')[1]}",
        other_secret,  # signed with a key that is not ours
        alices[:-1] + ("A" if alices[-1] != "A" else "B"),
        "9999." + alices.split(".")[1],
        "garbled",
        "",
        alices + "x",
        "\uff11." + alices.split(".")[1],  # a digit, but not ASCII
    ]
    before = await ConsentRecord.all().count()
    for token in refused:
        for send in (http.post, http.get):
            response = await send("/unsubscribe", params={"token": token}, data=ONE_CLICK)
            assert response.status == 400, token
            assert "not valid" in await response.text()
    assert (await http.post("/unsubscribe", data=ONE_CLICK)).status == 400
    assert await ConsentRecord.all().count() == before


async def test_a_token_is_bound_to_its_person_and_purpose_and_names_nobody(
    users: UserFactory, settings: Settings
) -> None:
    alice = await users.create("Alice Liddell", email="alice.liddell@example.com")
    token = marketing.unsubscribe_token(settings.secret_key, alice.user.id)
    assert token == marketing.unsubscribe_token(settings.secret_key, alice.user.id)
    assert token.split(".")[0] == str(alice.user.id)
    assert await marketing.unsubscriber(settings.secret_key, token) == alice.user.id
    for clear in ("alice", "liddell", "example"):
        assert clear not in token.lower()
    other_user = marketing.unsubscribe_token(settings.secret_key, alice.user.id + 1)
    assert other_user.split(".")[1] != token.split(".")[1]


async def test_unsubscribing_someone_who_never_opted_in_records_nothing(
    http: TestClient[Any, Any], users: UserFactory, settings: Settings, graphql: GraphQLClient
) -> None:
    dana = await users.create("Dana")
    await choose(graphql, dana, "ANALYTICS", True)
    link = marketing.unsubscribe_url(settings, dana.user.id)
    assert (await http.post(local(link), data=ONE_CLICK, headers=CURL)).status == 200
    assert await marketing_choices(dana) == []

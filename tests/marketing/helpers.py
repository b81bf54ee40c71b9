"""Steps the marketing tests share: choices made over the API, campaigns written and sent by
staff, and waiting for the outbox to deliver them."""

from __future__ import annotations

import asyncio
from typing import Any

from models.outbox import OutboxEmail, OutboxStatus
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

CREATE = document("CreateMarketingCampaign")
SEND = document("SendMarketingCampaign")

SET_CONSENT = """
mutation SetConsent($input: SetConsentInput!) {
  setConsent(input: $input) { errors { code } }
}
"""
GPC = {"Sec-GPC": "1"}


async def choose(graphql: GraphQLClient, person: SignedIn, purpose: str, granted: bool) -> None:
    body = await graphql.data(
        SET_CONSENT, {"input": {"purpose": purpose, "granted": granted}}, token=person.token
    )
    assert body["setConsent"]["errors"] == []


async def send_gpc(graphql: GraphQLClient, person: SignedIn) -> None:
    """Any request with ``Sec-GPC: 1``: the browser's opt-out, recorded before it runs."""
    await graphql.data("{ me { id } }", token=person.token, headers=GPC)


async def create_campaign(
    graphql: GraphQLClient, marketer: SignedIn, subject: str = "Spring offers"
) -> str:
    body = await graphql.data(
        CREATE,
        {"input": {"subject": subject, "body": "Two sessions for the price of one."}},
        token=marketer.token,
    )
    assert body["createMarketingCampaign"]["errors"] == []
    campaign = body["createMarketingCampaign"]["campaign"]
    assert (campaign["subject"], campaign["status"]) == (subject, "DRAFT")
    return str(campaign["id"])


async def send_campaign(graphql: GraphQLClient, marketer: SignedIn, campaign_id: str) -> Any:
    body = await graphql.data(SEND, {"input": {"campaignId": campaign_id}}, token=marketer.token)
    assert body["sendMarketingCampaign"]["errors"] == []
    return body["sendMarketingCampaign"]["campaign"]


async def delivered(subject: str) -> list[str]:
    """Wait until the outbox has delivered every mail with ``subject``; their addresses."""
    for _ in range(500):
        rows = await OutboxEmail.filter(subject=subject)
        if all(row.status == OutboxStatus.SENT for row in rows):
            return sorted(row.to_address for row in rows)
        await asyncio.sleep(0.02)
    raise AssertionError("the outbox did not deliver the campaign")


async def opted_in(graphql: GraphQLClient, users: UserFactory, name: str, **kw: Any) -> SignedIn:
    person = await users.create(name, email=f"{name.lower()}@example.com", **kw)
    await choose(graphql, person, "MARKETING_EMAIL", True)
    return person

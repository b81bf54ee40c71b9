"""Marketing mail goes only to people who opted in, once each, with a one-click unsubscribe
(P16: "targeted promotional and marketing messages"; marketing only with consent)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from strawberry.relay import to_base64
from tortoise.exceptions import IntegrityError

from core import clock
from core.runtime import Runtime
from models.accounts import User
from models.marketing import CampaignRecipient, CampaignStatus, MarketingCampaign
from models.outbox import OutboxEmail
from models.privacy import ConsentRecord, ConsentSource
from services import marketing
from tests.marketing.helpers import (
    CREATE,
    SEND,
    choose,
    create_campaign,
    delivered,
    opted_in,
    send_campaign,
    send_gpc,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P16")


async def test_a_campaign_reaches_only_verified_active_people_who_opted_in(
    graphql: GraphQLClient, users: UserFactory, marketer: SignedIn, mailbox: Mailbox
) -> None:
    alice = await opted_in(graphql, users, "Alice")
    await opted_in(graphql, users, "Bob", verified=False)
    carl = await opted_in(graphql, users, "Carl")
    await User.filter(id=carl.user.id).update(is_active=False)
    await users.create("Dana", email="dana@example.com")  # never opted in
    erin = await opted_in(graphql, users, "Erin")
    await choose(graphql, erin, "MARKETING_EMAIL", False)
    await choose(graphql, await users.create("Fay"), "ANALYTICS", True)  # another purpose

    campaign = await send_campaign(graphql, marketer, await create_campaign(graphql, marketer))

    assert (campaign["status"], campaign["recipientCount"]) == ("SENT", 1)
    assert campaign["sentAt"] is not None
    assert await delivered("Spring offers") == ["alice@example.com"]
    mail = await mailbox.wait_for("alice@example.com", "Spring offers")
    assert "Two sessions for the price of one." in mail.get_content()
    assert mailbox.to(alice.user.email) == [mail]


async def test_gpc_opts_out_is_recorded_and_a_campaign_skips_that_person(
    graphql: GraphQLClient, users: UserFactory, marketer: SignedIn
) -> None:
    """The issue's done-when: ``Sec-GPC: 1`` opts out and is recorded; a campaign skips them."""
    alice = await opted_in(graphql, users, "Alice")
    gina = await opted_in(graphql, users, "Gina")
    await send_gpc(graphql, gina)

    newest = await ConsentRecord.filter(user_id=gina.user.id, purpose="MARKETING_EMAIL").order_by(
        "-decided_at", "-id"
    )
    assert (newest[0].granted, newest[0].source) == (False, ConsentSource.GPC)
    await send_campaign(graphql, marketer, await create_campaign(graphql, marketer))
    assert await delivered("Spring offers") == [alice.user.email]


async def test_sending_a_campaign_twice_mails_nobody_twice(
    graphql: GraphQLClient, users: UserFactory, marketer: SignedIn, mailbox: Mailbox
) -> None:
    await opted_in(graphql, users, "Alice")
    await opted_in(graphql, users, "Bob")
    campaign_id = await create_campaign(graphql, marketer)
    first = await send_campaign(graphql, marketer, campaign_id)
    again = await send_campaign(graphql, marketer, campaign_id)
    assert again == first
    assert await delivered("Spring offers") == ["alice@example.com", "bob@example.com"]
    for address in ("alice@example.com", "bob@example.com"):
        await mailbox.wait_for(address, "Spring offers")
        assert len(mailbox.to(address)) == 1


async def test_concurrent_sends_in_many_batches_mail_each_person_once(
    graphql: GraphQLClient,
    users: UserFactory,
    marketer: SignedIn,
    runtime: Runtime,
    configure: Callable[..., None],
) -> None:
    """Two staff requests and the sweep send one campaign at once, two people per batch."""
    configure(campaign_batch_size=2)
    people = [await opted_in(graphql, users, f"Person{number}") for number in range(7)]
    campaign_id = await create_campaign(graphql, marketer)
    await asyncio.gather(
        send_campaign(graphql, marketer, campaign_id),
        send_campaign(graphql, marketer, campaign_id),
        marketing.resume_sending(runtime),
    )
    expected = sorted(person.user.email for person in people)
    assert await delivered("Spring offers") == expected
    assert await CampaignRecipient.all().count() == 7
    (campaign,) = await MarketingCampaign.all()
    assert (campaign.status, campaign.recipient_count) == (CampaignStatus.SENT, 7)


async def test_the_sweep_finishes_a_campaign_left_sending(
    graphql: GraphQLClient, users: UserFactory, marketer: SignedIn, runtime: Runtime
) -> None:
    alice = await opted_in(graphql, users, "Alice")
    campaign_id = await create_campaign(graphql, marketer)
    await MarketingCampaign.all().update(status=CampaignStatus.SENDING)  # a crashed send
    assert await marketing.resume_sending(runtime) == 1
    assert await delivered("Spring offers") == [alice.user.email]
    again = await send_campaign(graphql, marketer, campaign_id)
    assert (again["status"], again["recipientCount"]) == ("SENT", 1)


async def test_the_database_keeps_one_recipient_row_per_campaign_and_person(
    users: UserFactory,
) -> None:
    alice = await users.create("Alice")
    campaign = await MarketingCampaign.create(subject="s", body="b")
    await CampaignRecipient.create(campaign=campaign, user=alice.user, queued_at=clock.now())
    with pytest.raises(IntegrityError):
        await CampaignRecipient.create(campaign=campaign, user=alice.user, queued_at=clock.now())


async def test_only_marketing_staff_write_and_send_campaigns(
    graphql: GraphQLClient, users: UserFactory, marketer: SignedIn
) -> None:
    campaign_id = await create_campaign(graphql, marketer)
    other_staff = await users.create("Pia", staff=[])
    create = {"input": {"subject": "s", "body": "b"}}
    send = {"input": {"campaignId": campaign_id}}
    assert error_codes(await graphql(CREATE, create)) == ["UNAUTHENTICATED"]
    assert error_codes(await graphql(SEND, send)) == ["UNAUTHENTICATED"]
    assert error_codes(await graphql(CREATE, create, token=other_staff.token)) == ["FORBIDDEN"]
    assert error_codes(await graphql(SEND, send, token=other_staff.token)) == ["FORBIDDEN"]
    assert await MarketingCampaign.all().count() == 1
    assert await MarketingCampaign.filter(status=CampaignStatus.DRAFT).count() == 1


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("", "Text", "subject"),
        ("Two\nlines", "Text", "subject"),
        ("x" * 201, "Text", "subject"),
        ("Offers", "   ", "body"),
        ("Offers", "x" * 20001, "body"),
    ],
)
async def test_a_campaign_needs_a_one_line_subject_and_a_text(
    graphql: GraphQLClient, marketer: SignedIn, subject: str, body: str, field: str
) -> None:
    answer = await graphql.data(
        CREATE, {"input": {"subject": subject, "body": body}}, token=marketer.token
    )
    errors = answer["createMarketingCampaign"]["errors"]
    assert [(error["field"], error["code"]) for error in errors] == [(field, "BAD_USER_INPUT")]
    assert await MarketingCampaign.all().count() == 0


async def test_sending_an_unknown_campaign_is_not_found(
    graphql: GraphQLClient, marketer: SignedIn
) -> None:
    for campaign_id in (to_base64("MarketingCampaign", 999), to_base64("User", 1)):
        answer = await graphql.data(
            SEND, {"input": {"campaignId": campaign_id}}, token=marketer.token
        )
        errors = answer["sendMarketingCampaign"]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [("campaignId", "NOT_FOUND")]


async def test_transactional_mail_carries_no_unsubscribe_headers(
    graphql: GraphQLClient, mailbox: Mailbox
) -> None:
    await graphql.data(
        document("SignUp"),
        {"input": {"email": "new@example.com", "password": "a long enough passphrase here"}},
    )
    mail = await mailbox.wait_for("new@example.com", "Verify your email")
    assert mail["List-Unsubscribe"] is None and mail["List-Unsubscribe-Post"] is None
    (row,) = await OutboxEmail.all()
    assert row.headers is None

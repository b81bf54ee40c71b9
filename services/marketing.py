"""Marketing mail (P16: "targeted promotional and marketing messages"), only with consent.

A campaign goes through the outbox to active people with a verified address whose choice in
force grants MARKETING_EMAIL (a recorded GPC opt-out or a withdrawal takes them out), in
batches. Each batch is decided under the campaign's row lock and recorded one row per person
(unique per campaign), so sending twice, or from two workers at once, mails nobody twice.
Every mail carries a one-click unsubscribe (RFC 8058) whose token is signed and bound to the
person and to MARKETING_EMAIL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, NotFound
from core.runtime import Runtime
from core.settings import Settings
from models.accounts import User
from models.marketing import CampaignRecipient, CampaignStatus, MarketingCampaign
from models.privacy import ConsentPurpose, ConsentSource
from services.access.decisions import Access
from services.email import enqueue_emails
from services.privacy import consents
from services.privacy.audiences import Consenting, consenting
from services.privacy.consents import Subject
from services.profile_fields import checked_text
from services.transactions import transaction

PURPOSE = ConsentPurpose.MARKETING_EMAIL
TOKEN = re.compile(r"([0-9]{1,19})\.([A-Za-z0-9_-]{43})")
ONE_CLICK = "List-Unsubscribe=One-Click"


async def create_campaign(actor: User, subject: str, body: str) -> MarketingCampaign:
    subject = checked_text(subject, field="subject", limit=limits.MAX_CAMPAIGN_SUBJECT_LENGTH)
    if not subject or "\n" in subject or "\r" in subject:
        raise BadUserInput("The subject is one line of text.", field="subject")
    body = checked_text(body, field="body", limit=limits.MAX_CAMPAIGN_BODY_LENGTH)
    if not body:
        raise BadUserInput("Write the campaign's text.", field="body")
    return await MarketingCampaign.create(subject=subject, body=body, created_by_id=actor.id)


def campaigns(access: Access) -> QuerySet[MarketingCampaign]:
    """The campaigns the viewer sees (marketing staff: all), newest first."""
    return access.visible(MarketingCampaign).order_by("-created_at", "-id")


async def send_campaign(runtime: Runtime, actor: User, campaign_id: int) -> MarketingCampaign:
    """Queue the campaign for everyone who opted in. Sending a campaign that is already
    sending resumes it; one already SENT queues nothing more."""
    found = await Access.of(actor).visible(MarketingCampaign).filter(id=campaign_id).first()
    if found is None:
        raise NotFound("No such campaign.", field="campaignId")
    if found.status == CampaignStatus.SENT:
        return found
    await MarketingCampaign.filter(id=found.id, status=CampaignStatus.DRAFT).update(
        status=CampaignStatus.SENDING
    )
    await _queue_all(runtime, found.id)
    return await MarketingCampaign.get(id=found.id)


async def resume_sending(runtime: Runtime) -> int:
    """Finish every campaign left SENDING (a crash, a lost request): the sweep's job."""
    queued = 0
    for campaign in await MarketingCampaign.filter(status=CampaignStatus.SENDING).order_by("id"):
        queued += await _queue_all(runtime, campaign.id)
    return queued


async def _queue_all(runtime: Runtime, campaign_id: int) -> int:
    settings, queued = runtime.settings, 0
    async for batch in consenting(PURPOSE, batch_size=settings.campaign_batch_size):
        count = await _queue_batch(settings, campaign_id, batch)
        if count is None:
            return queued  # another worker finished it
        if count:
            await runtime.outbox.wake()
        queued += count
    await MarketingCampaign.filter(id=campaign_id, status=CampaignStatus.SENDING).update(
        status=CampaignStatus.SENT, sent_at=clock.now()
    )
    return queued


async def _queue_batch(settings: Settings, campaign_id: int, batch: list[Consenting]) -> int | None:
    """Queue the campaign for the people of ``batch`` it was not queued for yet; None once
    the campaign is no longer sending. The campaign's row lock makes concurrent senders take
    turns, and each sees the recipients the one before it recorded."""
    async with transaction():
        campaign = await MarketingCampaign.filter(id=campaign_id).select_for_update().first()
        if campaign is None or campaign.status != CampaignStatus.SENDING:
            return None
        user_ids = [found.user.id for found in batch]
        already = set(
            await CampaignRecipient.filter(
                campaign_id=campaign_id, user_id__in=user_ids
            ).values_list("user_id", flat=True)
        )
        fresh = [found.user for found in batch if found.user.id not in already]
        now = clock.now()
        await CampaignRecipient.bulk_create(
            [CampaignRecipient(campaign_id=campaign_id, user_id=u.id, queued_at=now) for u in fresh]
        )
        links = [unsubscribe_url(settings, user.id) for user in fresh]
        await enqueue_emails(
            fresh,
            campaign.subject,
            [_mail_body(campaign, link) for link in links],
            [
                {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": ONE_CLICK}
                for link in links
            ],
        )
        campaign.recipient_count += len(fresh)
        await campaign.save(update_fields=["recipient_count"])
    return len(fresh)


def _mail_body(campaign: MarketingCampaign, unsubscribe: str) -> str:
    return (
        f"{campaign.body}\n\n--\n"
        "You get this mail because you chose to receive our news by email.\n"
        f"Unsubscribe with one click: {unsubscribe}\n"
    )


# One-click unsubscribe.


class InvalidUnsubscribeLink(BadUserInput):
    def __init__(self) -> None:
        super().__init__("This unsubscribe link is not valid.", field="token")


def _tag(secret: str, user_id: int) -> str:
    message = f"unsubscribe:{PURPOSE.value}:{user_id}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsubscribe_token(secret: str, user_id: int) -> str:
    """``<user id>.<HMAC tag>``: the account's row id and a signature binding it to
    MARKETING_EMAIL, nothing about the person in clear."""
    return f"{user_id}.{_tag(secret, user_id)}"


def unsubscribe_url(settings: Settings, user_id: int) -> str:
    return (
        f"{settings.public_url}/unsubscribe?token={unsubscribe_token(settings.secret_key, user_id)}"
    )


async def unsubscriber(secret: str, token: str) -> int:
    """The account a token was signed for; InvalidUnsubscribeLink for a forged, altered or
    garbled one, or one whose account is gone."""
    found = TOKEN.fullmatch(token)
    if found is None:
        raise InvalidUnsubscribeLink()
    user_id = int(found.group(1))
    if not 0 < user_id <= limits.MAX_ROW_ID:
        raise InvalidUnsubscribeLink()
    if not hmac.compare_digest(found.group(2).encode(), _tag(secret, user_id).encode()):
        raise InvalidUnsubscribeLink()
    if not await User.exists(id=user_id):
        raise InvalidUnsubscribeLink()
    return user_id


async def unsubscribe(secret: str, token: str) -> None:
    """Withdraw MARKETING_EMAIL for the token's account, without a login, recorded in the
    ledger as a choice made on the web. Repeating it (mail clients retry) records nothing."""
    subject = Subject(user_id=await unsubscriber(secret, token))
    if await consents.allows(subject, PURPOSE, gpc=False):
        await consents.set_consent(subject, PURPOSE, False, source=ConsentSource.WEB, gpc=False)

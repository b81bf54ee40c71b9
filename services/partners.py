"""Sharing with advertising partners (P18: "some data may go to service providers or
advertising partners"), only with consent.

Partners are configured (``ADVERTISING_PARTNERS``), never coded: with none, nothing is shared.
A background job sends each partner the people whose choice in force grants
ADVERTISING_PARTNERS (a recorded GPC opt-out or a withdrawal takes them out), and only the
fields configured for that partner, the email lower-cased, trimmed and SHA-256-hashed as ad
platforms match it. Every share is a PartnerDisclosure its person sees (``me.dataDisclosures``).

A person is sent to a partner when nothing was shared with it since their grant in force, or
when what would be sent differs from the last share (a keyed fingerprint of the values). So a
sweep sends only what changed and the records list real transfers, not repeats; a withdrawal
stops the very next share (there is no interval to wait out); and a share that failed or
timed out wrote nothing, so its people are simply due again at the next sweep.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.queryset import QuerySet

from core import clock
from core.runtime import Runtime
from core.settings import AdvertisingPartner
from models.accounts import User
from models.audit import AuditAction
from models.marketing import PartnerDisclosure
from models.privacy import ConsentPurpose
from services import audit
from services.access.decisions import Access
from services.privacy.audiences import Consenting, consenting
from services.transactions import transaction

logger = logging.getLogger("mentor_api.partners")

PURPOSE = ConsentPurpose.ADVERTISING_PARTNERS


def email_sha256(user: User) -> str:
    """The address as ad platforms match it: trimmed, lower-cased, SHA-256 in hex."""
    return hashlib.sha256(user.email.strip().lower().encode()).hexdigest()


# Each field a partner may be configured for (core.settings.SHAREABLE_FIELDS), computed.
FIELD_VALUES: dict[str, Callable[[User], str | None]] = {
    "email_sha256": email_sha256,
    "name": lambda user: user.name or None,
    "language": lambda user: user.language,
}


def record_for(partner: AdvertisingPartner, user: User) -> dict[str, str]:
    """What ``partner`` receives about ``user``: its configured fields that have a value."""
    values = {field: FIELD_VALUES[field](user) for field in partner.fields}
    return {field: value for field, value in values.items() if value}


def _fingerprint(secret: str, partner: AdvertisingPartner, record: dict[str, str]) -> str:
    """Keyed, so the stored fingerprint reveals nothing of the values without the secret."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"))
    message = f"partner:{partner.name}:{canonical}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Due:
    user_id: int
    record: dict[str, str]
    fingerprint: str


async def share(runtime: Runtime) -> int:
    """One round with every configured partner (the sweep's job); answers how many people
    were sent. A partner that fails is left for the next round; the others still go."""
    shared = 0
    for partner in runtime.settings.advertising_partners:
        shared += await _share_with(runtime, partner)
    return shared


async def _share_with(runtime: Runtime, partner: AdvertisingPartner) -> int:
    settings, shared = runtime.settings, 0
    async for batch in consenting(PURPOSE, batch_size=settings.partner_batch_size):
        async with runtime.partners.exclusive(partner):
            due = await _due(settings.secret_key, partner, batch)
            if not due:
                continue
            if not await runtime.partners.send(partner, [found.record for found in due]):
                logger.warning("sharing with %s failed; retried at the next sweep", partner.name)
                return shared
            await _record(partner, due)
        shared += len(due)
    return shared


async def _due(secret: str, partner: AdvertisingPartner, batch: list[Consenting]) -> list[Due]:
    """The people of ``batch`` to send: read under the partner's lock, after any share of
    the same people that another worker just recorded."""
    last: dict[int, PartnerDisclosure] = {}
    shares = PartnerDisclosure.filter(
        partner=partner.name, user_id__in=[found.user.id for found in batch]
    ).order_by("disclosed_at", "id")
    for disclosure in await shares:
        last[disclosure.user_id] = disclosure
    due = []
    for found in batch:
        record = record_for(partner, found.user)
        if not record:
            continue
        fingerprint = _fingerprint(secret, partner, record)
        previous = last.get(found.user.id)
        if (
            previous is None
            or previous.disclosed_at < found.granted_at
            or previous.fingerprint != fingerprint
        ):
            due.append(Due(found.user.id, record, fingerprint))
    return due


async def _record(partner: AdvertisingPartner, due: list[Due]) -> None:
    """Each share is a disclosure its person reads and an entry of the audit log (naming the
    partner and the fields sent, never their values), written together."""
    now = clock.now()
    async with transaction():
        await PartnerDisclosure.bulk_create(
            [
                PartnerDisclosure(
                    user_id=found.user_id,
                    partner=partner.name,
                    purpose=partner.purpose,
                    country=partner.country,
                    fields_sent=sorted(found.record),
                    fingerprint=found.fingerprint,
                    disclosed_at=now,
                )
                for found in due
            ]
        )
        await audit.record_for_each(
            AuditAction.DATA_SHARED_WITH_PARTNER,
            {
                found.user_id: {"partner": partner.name, "fields": sorted(found.record)}
                for found in due
            },
        )


def disclosures_of(access: Access, user_id: int) -> QuerySet[PartnerDisclosure]:
    """A person's shares the viewer sees (their own), newest first."""
    return (
        access.visible(PartnerDisclosure).filter(user_id=user_id).order_by("-disclosed_at", "-id")
    )

"""Who else handles personal data, and why (P18: "processors listed"), read off this server's
configuration: a provider that is not configured receives nothing and is not listed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from core.settings import Settings


class RecipientRole(StrEnum):
    """A service provider works for us on our instructions; an advertising partner uses
    what it gets for advertising, and gets it only with the person's consent."""

    SERVICE_PROVIDER = "SERVICE_PROVIDER"
    ADVERTISING_PARTNER = "ADVERTISING_PARTNER"


@dataclass(frozen=True)
class Processor:
    name: str
    role: RecipientRole
    purpose: str
    data: tuple[str, ...]
    # Where it processes the data, when the configuration says.
    country: str | None = None


# What each of core.settings.SHAREABLE_FIELDS tells a partner.
FIELD_DESCRIPTIONS = {
    "email_sha256": "email address, SHA-256-hashed",
    "name": "display name",
    "language": "preferred language",
}


def processors(settings: Settings) -> list[Processor]:
    found = []
    if settings.stripe_secret_key:
        found.append(
            Processor(
                "Stripe",
                RecipientRole.SERVICE_PROVIDER,
                "Card payments, refunds and mentor payouts.",
                ("card details, entered at Stripe", "payment amounts", "payout account details"),
            )
        )
    if settings.smtp_url:
        relay = urlsplit(settings.smtp_url).hostname or "the mail relay"
        found.append(
            Processor(
                relay,
                RecipientRole.SERVICE_PROVIDER,
                "Delivering the email we send you.",
                ("email address", "the mail's content"),
            )
        )
    for partner in settings.advertising_partners:
        found.append(
            Processor(
                partner.name,
                RecipientRole.ADVERTISING_PARTNER,
                partner.purpose,
                tuple(FIELD_DESCRIPTIONS[field] for field in partner.fields),
                partner.country,
            )
        )
    return found

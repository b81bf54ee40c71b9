"""Display preferences remembered for a browser (language, time zone, currency), kept only
with PREFERENCES consent; withdrawing it clears them (``consents.set_consent``)."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import BadUserInput
from models.privacy import REMEMBERED_PREFERENCES, Visitor
from services.money import checked_currency
from services.privacy.consents import Subject
from services.privacy.features import Feature, require
from services.profile_fields import LANGUAGE_TAG, checked_timezone


@dataclass(frozen=True)
class Preferences:
    language: str | None = None
    timezone: str | None = None
    currency: str | None = None


def _of(visitor: Visitor) -> Preferences:
    return Preferences(visitor.language, visitor.timezone, visitor.currency)


async def require_consent(subject: Subject | None, *, gpc: bool) -> None:
    """CONSENT_REQUIRED unless the caller consented to PREFERENCES: checked before a visitor is
    started for a browser that never consented."""
    await require(subject, Feature.REMEMBERED_PREFERENCES, gpc=gpc)


async def remembered(subject: Subject | None, visitor: Visitor | None, *, gpc: bool) -> Preferences:
    await require_consent(subject, gpc=gpc)
    return Preferences() if visitor is None else _of(visitor)


async def remember(visitor: Visitor, changes: dict[str, str | None]) -> Preferences:
    """Keep the sent preferences (null clears one) for this browser, whose consent the caller
    has checked with ``require_consent``."""
    if "language" in changes:
        language = changes["language"]
        if language is not None and not LANGUAGE_TAG.match(language.lower()):
            raise BadUserInput("Use a language tag such as en or pt-BR.", field="language")
        visitor.language = language
    if "timezone" in changes:
        visitor.timezone = checked_timezone(changes["timezone"])
    if "currency" in changes:
        currency = changes["currency"]
        visitor.currency = (
            None if currency is None else checked_currency(currency, field="currency")
        )
    await visitor.save(update_fields=list(REMEMBERED_PREFERENCES))
    return _of(visitor)

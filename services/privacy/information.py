"""The privacy information anyone may read (P20, P26): who answers for the data, where it is
stored, who processes it, how long each kind is kept, and where questions go.

All of it is read off the settings the code runs on: the retention periods are the very
settings the sweep, the erasure and the exports read, and the processors are the list
``dataProcessors`` serves, so what is said cannot drift from what is done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.settings import Settings
from services.processors import Processor, processors


@dataclass(frozen=True)
class Retention:
    purpose: str
    period: timedelta


@dataclass(frozen=True)
class PrivacyInformation:
    controller: str
    controller_address: str | None
    contact_email: str
    storage_locations: list[str]
    processors: list[Processor]
    retention: list[Retention]


def storage_locations(settings: Settings) -> list[str]:
    """P20: "store, transfer or use information in the countries we operate"."""
    return [
        "Database (accounts, profiles, posts, jobs, payments, consents, questions and logs): "
        f"{settings.database_location}",
        f"File store (profile photos, data exports): {settings.file_store_location}",
        f"Backups of the database and the file store: {settings.backup_location}",
    ]


def retention(settings: Settings) -> list[Retention]:
    """Each period as the code that enforces it reads it."""
    return [
        Retention(
            "Records of the pages and posts you view and your time on a page (with analytics "
            "consent only), before they are rolled into daily counts that name nobody",
            settings.analytics_retention,
        ),
        Retention("A data export's archive, before it is deleted", settings.data_export_lifetime),
        Retention(
            "A deleted account, deactivated at once, while its deletion can be cancelled, "
            "before its personal data is erased",
            settings.account_erasure_grace,
        ),
        Retention(
            "The payments and jobs of an erased account, pseudonymized, with the records of "
            "its consents and of what was shared, kept for the law before they are purged",
            settings.financial_retention,
        ),
        Retention(
            "A question about the privacy policy and the mail about it, before they are deleted",
            settings.privacy_question_retention,
        ),
    ]


def in_words(period: timedelta) -> str:
    """``30 days``, ``12 hours``, ``90 minutes``: the largest whole unit."""
    seconds = int(period.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def information(settings: Settings) -> PrivacyInformation:
    return PrivacyInformation(
        controller=settings.controller_name,
        controller_address=settings.controller_address,
        contact_email=settings.support_email,
        storage_locations=storage_locations(settings),
        processors=processors(settings),
        retention=retention(settings),
    )

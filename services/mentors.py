"""Mentor profiles: becoming a mentor, editing the public storefront, finding mentors.

A mentor's profile is public (P3: "timezone, language, expertise ... public for mentors");
contact and financial data stay on the user and follow the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

from core import limits
from core.errors import BadUserInput, Conflict, NotFound
from models.accounts import User
from models.audit import AuditAction
from models.marketplace import MentorProfile, MentorTag, MentorTagKind
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.deletion.blockers import DeletionBlocked, pending_jobs
from services.money import Amount, checked_amount, checked_currency
from services.profile_fields import checked_text, checked_timezone, clean_tags
from services.transactions import transaction


@dataclass(frozen=True)
class ProfileChanges:
    """Only the fields a caller sent (``sent``); the rest stay as they are."""

    sent: frozenset[str]
    headline: str | None = None
    bio: str | None = None
    expertise: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    hourly_rate_cents: int | None = None
    currency: str | None = None
    timezone: str | None = None


class MentorOrder(StrEnum):
    NEWEST = "NEWEST"
    HOURLY_RATE_ASC = "HOURLY_RATE_ASC"
    HOURLY_RATE_DESC = "HOURLY_RATE_DESC"


@dataclass(frozen=True)
class MentorFilter:
    expertise: str | None = None
    language: str | None = None
    min_hourly_rate: Amount | None = None
    max_hourly_rate: Amount | None = None
    search: str | None = None

    def rate_currency(self) -> str | None:
        """The one currency the rate bounds are in: rates in other currencies never match."""
        given = [
            (name, checked_currency(rate.currency, field=name))
            for name, rate in (
                ("minHourlyRate", self.min_hourly_rate),
                ("maxHourlyRate", self.max_hourly_rate),
            )
            if rate is not None
        ]
        if len({currency for _, currency in given}) > 1:
            raise BadUserInput("Give both rate bounds in one currency.", field=given[-1][0])
        return given[0][1] if given else None


def _apply(profile: MentorProfile, changes: ProfileChanges) -> None:
    sent = changes.sent
    if "headline" in sent:
        profile.headline = checked_text(
            changes.headline, field="headline", limit=limits.MAX_HEADLINE_LENGTH
        )
    if "bio" in sent:
        profile.bio = checked_text(changes.bio, field="bio", limit=limits.MAX_BIO_LENGTH)
    if "expertise" in sent:
        profile.expertise = clean_tags(changes.expertise or [], field="expertise")
    if "languages" in sent:
        profile.languages = clean_tags(
            changes.languages or [], field="languages", limit=limits.MAX_LANGUAGES, languages=True
        )
    if "hourly_rate_cents" in sent:
        rate = changes.hourly_rate_cents
        profile.hourly_rate_cents = (
            None if rate is None else checked_amount(rate, field="hourlyRate")
        )
    if "currency" in sent and changes.currency is not None:
        profile.currency = checked_currency(changes.currency, field="hourlyRate")
    if "timezone" in sent:
        profile.timezone = checked_timezone(changes.timezone)


async def _save_with_tags(profile: MentorProfile) -> None:
    """The profile and its search tags change together."""
    await profile.save()
    await MentorTag.filter(mentor_id=profile.user_id).delete()
    await MentorTag.bulk_create(
        [
            MentorTag(mentor_id=profile.user_id, kind=kind, value=value)
            for kind, values in (
                (MentorTagKind.EXPERTISE, profile.expertise),
                (MentorTagKind.LANGUAGE, profile.languages),
            )
            for value in values
        ]
    )


async def become_mentor(user: User, changes: ProfileChanges) -> MentorProfile:
    profile = MentorProfile(user_id=user.id)
    _apply(profile, changes)
    try:
        async with transaction():
            await _save_with_tags(profile)
    except IntegrityError:
        raise Conflict("You are already a mentor; update your profile instead.") from None
    return profile


async def update_mentor_profile(user: User, changes: ProfileChanges) -> MentorProfile:
    async with transaction():
        profile = await MentorProfile.filter(user_id=user.id).select_for_update().get_or_none()
        if profile is None:
            raise Conflict("You are not a mentor yet; call becomeMentor first.")
        _apply(profile, changes)
        await _save_with_tags(profile)
    return profile


def _with_tag(kind: MentorTagKind, value: str) -> Q:
    tagged = MentorTag.filter(kind=kind, value=value.strip().lower()).values("mentor_id")
    return Q(user_id__in=Subquery(tagged))


_ORDERING = {
    MentorOrder.NEWEST: ("-created_at", "-id"),
    MentorOrder.HOURLY_RATE_ASC: ("hourly_rate_cents", "id"),
    MentorOrder.HOURLY_RATE_DESC: ("-hourly_rate_cents", "-id"),
}


def find_mentors(
    access: Access, criteria: MentorFilter, order: MentorOrder
) -> QuerySet[MentorProfile]:
    """The mentors the viewer sees matching every given criterion, in a stable order (ties by
    id), each with its user."""
    query = access.visible(MentorProfile)
    if criteria.expertise:
        query = query.filter(_with_tag(MentorTagKind.EXPERTISE, criteria.expertise))
    if criteria.language:
        query = query.filter(_with_tag(MentorTagKind.LANGUAGE, criteria.language))
    currency = criteria.rate_currency()
    if currency is not None:
        query = query.filter(currency=currency)
    if criteria.min_hourly_rate is not None:
        query = query.filter(hourly_rate_cents__gte=criteria.min_hourly_rate.amount_cents)
    if criteria.max_hourly_rate is not None:
        query = query.filter(hourly_rate_cents__lte=criteria.max_hourly_rate.amount_cents)
    if criteria.search and criteria.search.strip():
        words = criteria.search.strip()
        query = query.filter(
            Q(headline__icontains=words) | Q(bio__icontains=words) | Q(user__name__icontains=words)
        )
    return query.select_related("user").order_by(*_ORDERING[order])


async def close_mentor_profile(user: User, client: ClientInfo) -> None:
    """Close one's mentor profile (P22): it leaves search and its public page, its tags go.
    Refused while a job with this mentor is pending, like the account's deletion."""
    blockers = await pending_jobs(Q(mentor_id=user.id))
    if blockers:
        raise DeletionBlocked(blockers, "The mentor profile cannot be closed")
    async with transaction():
        profile = await MentorProfile.filter(user_id=user.id).select_for_update().first()
        if profile is None:
            raise NotFound("You have no mentor profile.")
        await MentorTag.filter(mentor_id=user.id).delete()
        await profile.delete()
        await audit.record(
            AuditAction.MENTOR_PROFILE_CLOSED,
            actor_id=user.id,
            subject_id=user.id,
            request_id=client.request_id,
        )

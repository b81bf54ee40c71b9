"""Mentor profile mutations: thin wrappers over ``services.mentors``."""

from __future__ import annotations

from typing import Any

import strawberry

from core import limits
from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields
from resolvers.context import Info
from resolvers.mentors.types import MentorType
from resolvers.money import MoneyInput
from services import mentors


@strawberry.input
class MentorProfileFields:
    """The fields of a public mentor profile, which both mutations on it take."""

    headline: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"One line on what you offer, at most {limits.MAX_HEADLINE_LENGTH} characters.",
    )
    bio: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"Free text about your experience, at most {limits.MAX_BIO_LENGTH} characters.",
    )
    expertise: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Expertise tags, e.g. python, stored lower case; the list replaces the old "
        "one.",
    )
    languages: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Languages you mentor in, as tags (en, pt-br); at most "
        f"{limits.MAX_LANGUAGES}.",
    )
    hourly_rate: MoneyInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The price of an hour; its currency becomes the profile's currency.",
    )
    timezone: str | None = strawberry.field(
        default=strawberry.UNSET, description="IANA time zone, e.g. Europe/Paris."
    )


@strawberry.input(description="Your public mentor profile; fields left out stay empty.")
class BecomeMentorInput(MentorProfileFields):
    pass


@strawberry.input(description="Send only the fields to change; null clears a field.")
class UpdateMentorProfileInput(MentorProfileFields):
    pass


@strawberry.type
class MentorResult(Payload):
    """The shape of a payload that answers with the mentor profile acted on."""

    mentor: MentorType | None = strawberry.field(
        default=None,
        description="Your mentor profile as it now is; null when `errors` says why not.",
    )


@strawberry.type(description="What `becomeMentor` answers: your new public profile.")
class BecomeMentorPayload(MentorResult):
    pass


@strawberry.type(description="What `updateMentorProfile` answers: your changed public profile.")
class UpdateMentorProfilePayload(MentorResult):
    pass


def _changes(data: MentorProfileFields) -> mentors.ProfileChanges:
    values: dict[str, Any] = sent_fields(data)
    if "hourly_rate" in values:
        rate = values.pop("hourly_rate")
        values["hourly_rate_cents"] = rate.amount_cents if rate else None
        values["currency"] = rate.currency if rate else None
    return mentors.ProfileChanges(sent=frozenset(values), **values)


@strawberry.type
class MentorMutations:
    @mutation(description="Open a public mentor profile for the signed-in user.", guard=SIGNED_IN)
    async def become_mentor(
        self, info: Info, actor: User, input: BecomeMentorInput
    ) -> BecomeMentorPayload:
        profile = await mentors.become_mentor(actor, _changes(input))
        return BecomeMentorPayload(mentor=profile)  # type: ignore[arg-type]

    @mutation(description="Change the signed-in mentor's public profile.", guard=SIGNED_IN)
    async def update_mentor_profile(
        self, info: Info, actor: User, input: UpdateMentorProfileInput
    ) -> UpdateMentorProfilePayload:
        profile = await mentors.update_mentor_profile(actor, _changes(input))
        return UpdateMentorProfilePayload(mentor=profile)  # type: ignore[arg-type]

"""Mentor profile mutations: thin wrappers over ``services.mentors``."""

from __future__ import annotations

from typing import Any

import strawberry

from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation, sent_fields
from resolvers.context import Info
from resolvers.mentors.types import MentorType
from resolvers.money import MoneyInput
from services import mentors


@strawberry.input(description="Send only the fields to change; null clears a field.")
class MentorProfileInput:
    headline: str | None = strawberry.UNSET
    bio: str | None = strawberry.UNSET
    expertise: list[str] | None = strawberry.UNSET
    languages: list[str] | None = strawberry.UNSET
    hourly_rate: MoneyInput | None = strawberry.UNSET
    timezone: str | None = strawberry.UNSET


@strawberry.type
class MentorPayload(Payload):
    mentor: MentorType | None = None


def _changes(data: MentorProfileInput) -> mentors.ProfileChanges:
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
        self, info: Info, actor: User, input: MentorProfileInput
    ) -> MentorPayload:
        profile = await mentors.become_mentor(actor, _changes(input))
        return MentorPayload(mentor=profile)  # type: ignore[arg-type]

    @mutation(description="Change the signed-in mentor's public profile.", guard=SIGNED_IN)
    async def update_mentor_profile(
        self, info: Info, actor: User, input: MentorProfileInput
    ) -> MentorPayload:
        profile = await mentors.update_mentor_profile(actor, _changes(input))
        return MentorPayload(mentor=profile)  # type: ignore[arg-type]

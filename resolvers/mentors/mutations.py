"""Mentor profile mutations: thin wrappers over ``services.mentors``."""

from __future__ import annotations

from typing import Any

import strawberry

from app.context import Info
from resolvers.base import Payload, payload_mutation
from resolvers.mentors.types import MentorType
from resolvers.money import MoneyInput
from resolvers.permissions import IsAuthenticated
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
    sent = {name for name, value in vars(data).items() if value is not strawberry.UNSET}
    values: dict[str, Any] = {name: getattr(data, name) for name in sent - {"hourly_rate"}}
    if "hourly_rate" in sent:
        sent = (sent - {"hourly_rate"}) | {"hourly_rate_cents", "currency"}
        rate = data.hourly_rate
        values["hourly_rate_cents"] = rate.amount_cents if rate else None
        values["currency"] = rate.currency if rate else None
    return mentors.ProfileChanges(sent=frozenset(sent), **values)


@strawberry.type
class MentorMutations:
    @payload_mutation(
        description="Open a public mentor profile for the signed-in user.",
        permissions=[IsAuthenticated()],
    )
    async def become_mentor(self, info: Info, input: MentorProfileInput) -> MentorPayload:
        user = info.context.viewer.require_user()
        profile = await mentors.become_mentor(user, _changes(input))
        return MentorPayload(mentor=profile)  # type: ignore[arg-type]

    @payload_mutation(
        description="Change the signed-in mentor's public profile.",
        permissions=[IsAuthenticated()],
    )
    async def update_mentor_profile(self, info: Info, input: MentorProfileInput) -> MentorPayload:
        user = info.context.viewer.require_user()
        profile = await mentors.update_mentor_profile(user, _changes(input))
        return MentorPayload(mentor=profile)  # type: ignore[arg-type]

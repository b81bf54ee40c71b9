"""Notification mutations: thin wrappers over ``services.notifications.inbox``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from core.errors import BadUserInput
from models.accounts import User
from resolvers.base import SIGNED_IN, Payload, mutation
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.notifications.types import (
    NotificationKindEnum,
    NotificationPreferenceType,
    NotificationType,
    preferences_of,
)
from services.notifications import inbox


@strawberry.input(description="Name the notifications to mark read, or send `all: true`.")
class MarkNotificationsReadInput:
    ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Notifications of yours, at most 100."
    )
    all: bool = strawberry.field(default=False, description="Every unread notification of yours.")


@strawberry.type(
    description="What `markNotificationsRead` answers: those marked, and how many are left."
)
class MarkNotificationsReadPayload(Payload):
    notifications: list[NotificationType] = strawberry.field(
        default_factory=list, description="The notifications named in `ids`, now read."
    )
    unread_count: int | None = strawberry.field(
        default=None, description="How many of yours are still unread."
    )


@strawberry.input(description="Whether one kind of notification also comes by email.")
class NotificationEmailChoice:
    kind: NotificationKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="The kind of notification."
    )
    email: bool = strawberry.field(
        description="true to get it by email too; mail the service owes always comes."
    )


@strawberry.input(description="Send the kinds to change; the others stay as they are.")
class UpdateNotificationPreferencesInput:
    choices: list[NotificationEmailChoice] = strawberry.field(
        description="One choice per kind to change."
    )


@strawberry.type(description="What `updateNotificationPreferences` answers: every kind's choice.")
class UpdateNotificationPreferencesPayload(Payload):
    preferences: list[NotificationPreferenceType] = strawberry.field(
        default_factory=list, description="Every kind, after the change."
    )


@strawberry.type
class NotificationMutations:
    @mutation(description="Mark notifications of yours read.", guard=SIGNED_IN)
    async def mark_notifications_read(
        self, info: Info, actor: User, input: MarkNotificationsReadInput
    ) -> MarkNotificationsReadPayload:
        ids = None
        if input.ids is not None:
            ids = [row_id(given, "Notification", field="ids") for given in input.ids]
        marked = await inbox.mark_read(actor, ids, everything=input.all)
        return MarkNotificationsReadPayload(
            notifications=marked,  # type: ignore[arg-type]
            unread_count=await inbox.unread_count(info.context.access, actor.id),
        )

    @mutation(
        description="Choose which kinds of notification also come by email; receipts always do.",
        guard=SIGNED_IN,
    )
    async def update_notification_preferences(
        self, info: Info, actor: User, input: UpdateNotificationPreferencesInput
    ) -> UpdateNotificationPreferencesPayload:
        choices = {choice.kind: choice.email for choice in input.choices}
        if len(choices) != len(input.choices):
            raise BadUserInput("Name each kind once.", field="choices")
        found = await inbox.choose_mail(actor, choices)
        return UpdateNotificationPreferencesPayload(preferences=preferences_of(found))

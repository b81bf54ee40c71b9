"""GraphQL types of notifications: a notification is its recipient's alone, and what it is about
is reached through its references, each under its own rule."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketplace import Job, Testimonial
from models.notifications import Notification, NotificationKind, NotificationPreference
from models.payments import Payment
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field, rows_of
from services.notifications import inbox
from services.notifications.kinds import KINDS

if TYPE_CHECKING:
    from resolvers.jobs.types import JobType
    from resolvers.payments.types import PaymentType
    from resolvers.testimonials.types import TestimonialType

NotificationKindEnum = described_enum(
    NotificationKind,
    name="NotificationKind",
    description="What a notification tells: a job's steps, a testimonial, a payment's refund "
    "or dispute, payouts opening, a data export ready, a security incident that concerns you, "
    "a sign-in from a new device, a privacy policy to review.",
    values={kind: rule.about for kind, rule in KINDS.items()},
)


@strawberry.type(
    name="Notification",
    description="Something that happened which concerns you; yours alone. Its words name "
    "nobody: the job, testimonial or payment it is about show what you may see of them.",
)
class NotificationType(ModelNode):
    model = Notification

    id: relay.NodeID[int]
    kind: NotificationKindEnum | None = registry_field(  # type: ignore[valid-type]
        Notification, "kind", "What happened."
    )
    title: str | None = registry_field(Notification, "title", "A headline.")
    body: str | None = registry_field(Notification, "body", "A sentence on what to do next.")
    read_at: datetime | None = registry_field(
        Notification, "read_at", "When it was marked read; null while unread."
    )
    created_at: datetime = strawberry.field(description="When it happened.")

    @strawberry.field(description="The job it is about.")
    async def job(
        self, root: Notification, info: Info
    ) -> Annotated[JobType, strawberry.lazy("resolvers.jobs.types")] | None:
        return await visible_row(info, Job, root.job_id)  # type: ignore[return-value]

    @strawberry.field(description="The testimonial it is about.")
    async def testimonial(
        self, root: Notification, info: Info
    ) -> Annotated[TestimonialType, strawberry.lazy("resolvers.testimonials.types")] | None:
        return await visible_row(info, Testimonial, root.testimonial_id)  # type: ignore[return-value]

    @strawberry.field(description="The payment it is about.")
    async def payment(
        self, root: Notification, info: Info
    ) -> Annotated[PaymentType, strawberry.lazy("resolvers.payments.types")] | None:
        return await visible_row(info, Payment, root.payment_id)  # type: ignore[return-value]


@strawberry.type(name="NotificationConnection", description="A page of notifications.")
class NotificationConnection(CountedConnection[NotificationType]):
    pass


@strawberry.type(
    name="NotificationPreference", description="Whether one kind of notification comes by email."
)
class NotificationPreferenceType:
    kind: NotificationKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="The kind of notification."
    )
    about: str = strawberry.field(description="What the kind is, in words.")
    email: bool = strawberry.field(description="Whether it also comes by email.")
    email_required: bool = strawberry.field(
        description="Mail the service owes (a receipt, a security notice): it always comes by "
        "email."
    )

    @classmethod
    def of(cls, choice: inbox.MailChoice) -> NotificationPreferenceType:
        return cls(
            kind=choice.kind, about=choice.about, email=choice.email, email_required=choice.required
        )


def preferences_of(found: list[inbox.MailChoice]) -> list[NotificationPreferenceType]:
    return [NotificationPreferenceType.of(choice) for choice in found]


@strawberry.type
class UserNotificationFields:
    """Notification fields of the User type: the user's own."""

    @strawberry.field(
        description="How many of your notifications are unread; yours only.",
        extensions=[rows_of(Notification)],
    )
    async def unread_notification_count(self, root: User, info: Info) -> int | None:
        return await inbox.unread_count(info.context.access, root.id)

    @strawberry.field(
        description="Every kind of notification, and whether it also comes by email; yours only.",
        extensions=[rows_of(NotificationPreference)],
    )
    async def notification_preferences(self, root: User) -> list[NotificationPreferenceType] | None:
        return preferences_of(await inbox.mail_choices(root.id))

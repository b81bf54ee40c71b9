"""GraphQL types of payments. Billing and card fields follow the personal-data registry."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.marketplace import Job
from models.payments import (
    ConnectedAccount,
    DisputeStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.money import Money
from resolvers.nodes import ModelNode, visible_row
from resolvers.pagination import CountedConnection
from resolvers.permissions import registry_field, rows_of
from services.payments import customers, payouts
from services.payments.charges import RefundReason
from services.payments.payouts import PayoutStatus

if TYPE_CHECKING:
    from resolvers.jobs.types import JobType

PaymentStatusEnum = described_enum(
    PaymentStatus,
    name="PaymentStatus",
    description=(
        "Where a payment stands: PENDING until the card is charged (FAILED after a declined "
        "attempt, still payable), then SUCCEEDED, PARTIALLY_REFUNDED or REFUNDED; DISPUTED "
        "while the cardholder disputes it, DISPUTE_LOST if the bank sided with them."
    ),
    values={
        PaymentStatus.PENDING: "Started; the card is not charged yet.",
        PaymentStatus.FAILED: "The last attempt was declined; the client may pay again.",
        PaymentStatus.SUCCEEDED: "Charged in full; nothing refunded.",
        PaymentStatus.PARTIALLY_REFUNDED: "Charged; part of it went back (see `refunded`).",
        PaymentStatus.REFUNDED: "Charged, then all of it went back.",
        PaymentStatus.DISPUTED: "The cardholder disputes it with their bank; the outcome waits.",
        PaymentStatus.DISPUTE_LOST: "The bank sided with the cardholder; the money went back.",
    },
)
DisputeStatusEnum = described_enum(
    DisputeStatus,
    name="DisputeStatus",
    description="A cardholder's dispute of a payment.",
    values={
        DisputeStatus.OPEN: "The bank is deciding.",
        DisputeStatus.WON: "Decided for the mentor: the payment stands.",
        DisputeStatus.LOST: "Decided for the cardholder: the money went back to them.",
    },
)
PayoutStatusEnum = described_enum(
    PayoutStatus,
    name="PayoutStatus",
    description="A mentor's payout account: READY once Stripe enables charges and payouts.",
    values={
        PayoutStatus.NOT_STARTED: "No payout account yet: call `startPayoutOnboarding`.",
        PayoutStatus.ONBOARDING: "Stripe still needs details; the onboarding link resumes it.",
        PayoutStatus.READY: "Stripe pays out: the mentor can accept paid jobs.",
    },
)
RefundReasonEnum = described_enum(
    RefundReason,
    name="RefundReason",
    description="Why money goes back, as Stripe records it.",
    values={
        RefundReason.DUPLICATE: "The client was charged twice for one thing.",
        RefundReason.FRAUDULENT: "The charge was fraudulent; Stripe uses this to fight fraud.",
        RefundReason.REQUESTED_BY_CUSTOMER: "The client asked for their money back.",
    },
)


@strawberry.type(
    name="Payment",
    description=(
        "A client's payment for a job; its client and MANAGE_PAYMENTS staff (audited) see it."
    ),
)
class PaymentType(ModelNode):
    model = Payment

    id: relay.NodeID[int]
    status: PaymentStatusEnum | None = registry_field(  # type: ignore[valid-type]
        Payment, "status", "Where the payment stands."
    )
    failure_code: str | None = registry_field(
        Payment, "failure_code", "Stripe's decline code of the last failed attempt."
    )
    failure_reason: str | None = registry_field(
        Payment, "failure_reason", "Why the last attempt failed; the job stays payable."
    )
    dispute_status: DisputeStatusEnum | None = registry_field(  # type: ignore[valid-type]
        Payment, "dispute_status", "The cardholder's dispute, if there is one."
    )
    paid_at: datetime | None = registry_field(Payment, "paid_at", "When the card was charged.")
    created_at: datetime = strawberry.field(description="When payment was started.")

    @registry_field(Payment, "amount_cents", "The amount charged.")
    def amount(self, root: Payment) -> Money | None:
        return Money.of(root.amount_cents, root.currency)

    @registry_field(Payment, "refunded_cents", "How much of it has been refunded.")
    def refunded(self, root: Payment) -> Money | None:
        return Money.of(root.refunded_cents, root.currency)

    @strawberry.field(description="The job paid for.")
    async def job(
        self, root: Payment, info: Info
    ) -> Annotated[JobType, strawberry.lazy("resolvers.jobs.types")] | None:
        return await visible_row(info, Job, root.job_id)  # type: ignore[return-value]


@strawberry.type(name="PaymentConnection", description="A page of payments, newest first.")
class PaymentConnection(CountedConnection[PaymentType]):
    pass


@strawberry.type(
    name="PaymentMethod",
    description="A saved card. Stripe keeps the number; its owner alone sees these details.",
)
class PaymentMethodType(ModelNode):
    model = PaymentMethod

    id: relay.NodeID[int]
    brand: str | None = registry_field(PaymentMethod, "brand", "Card network, e.g. visa.")
    last4: str | None = registry_field(PaymentMethod, "last4", "The last four digits.")
    exp_month: int | None = registry_field(PaymentMethod, "exp_month", "Expiry month, 1-12.")
    exp_year: int | None = registry_field(PaymentMethod, "exp_year", "Expiry year, e.g. 2030.")
    created_at: datetime = strawberry.field(description="When it was saved.")


@strawberry.type(name="PaymentMethodConnection", description="A page of saved cards.")
class PaymentMethodConnection(CountedConnection[PaymentMethodType]):
    pass


@strawberry.type
class UserPaymentFields:
    """Payment fields of the User type, visible to that user alone."""

    @strawberry.field(
        description="Saved cards, newest first; their owner only.",
        extensions=[rows_of(PaymentMethod)],
    )
    async def payment_methods(
        self,
        root: User,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> PaymentMethodConnection | None:
        return await PaymentMethodConnection.resolve_connection(
            customers.cards_of(info.context.access, root.id), info=info, first=first, after=after
        )

    @strawberry.field(
        description="The mentor's payout account status; their own only.",
        extensions=[rows_of(ConnectedAccount)],
    )
    async def payout_status(self, root: User) -> PayoutStatusEnum | None:  # type: ignore[valid-type]
        return await payouts.payout_status(root.id)

"""GraphQL types of payments. Billing and card fields follow the personal-data registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from app.context import Info
from models.accounts import User
from models.payments import DisputeStatus, Payment, PaymentMethod, PaymentStatus
from resolvers.ids import int_ids
from resolvers.money import Money
from resolvers.pagination import CountedConnection
from resolvers.permissions import owner_only, registry_visibility
from services import jobs
from services.payments import charges, customers, payouts
from services.payments.charges import RefundReason
from services.payments.payouts import PayoutStatus

if TYPE_CHECKING:
    from resolvers.jobs.types import JobType

PaymentStatusEnum = strawberry.enum(
    PaymentStatus,
    name="PaymentStatus",
    description=(
        "Where a payment stands: PENDING until the card is charged (FAILED after a declined "
        "attempt, still payable), then SUCCEEDED, PARTIALLY_REFUNDED or REFUNDED; DISPUTED "
        "while the cardholder disputes it, DISPUTE_LOST if the bank sided with them."
    ),
)
DisputeStatusEnum = strawberry.enum(
    DisputeStatus, name="DisputeStatus", description="A cardholder's dispute of a payment."
)
PayoutStatusEnum = strawberry.enum(
    PayoutStatus,
    name="PayoutStatus",
    description="A mentor's payout account: READY once Stripe enables charges and payouts.",
)
RefundReasonEnum = strawberry.enum(RefundReason, name="RefundReason", description="Why.")


def _billing(field: str, description: str) -> Any:
    return strawberry.field(description=description, extensions=registry_visibility(Payment, field))


def _card(field: str, description: str) -> Any:
    return strawberry.field(
        description=description, extensions=registry_visibility(PaymentMethod, field)
    )


@strawberry.type(
    name="Payment",
    description=(
        "A client's payment for a job; its client and MANAGE_PAYMENTS staff (audited) see it."
    ),
)
class PaymentType(relay.Node):
    id: relay.NodeID[int]
    status: PaymentStatusEnum | None = _billing("status", "Where the payment stands.")  # type: ignore[valid-type]
    failure_code: str | None = _billing(
        "failure_code", "Stripe's decline code of the last failed attempt."
    )
    failure_reason: str | None = _billing(
        "failure_reason", "Why the last attempt failed; the job stays payable."
    )
    dispute_status: DisputeStatusEnum | None = _billing(  # type: ignore[valid-type]
        "dispute_status", "The cardholder's dispute, if there is one."
    )
    paid_at: datetime | None = _billing("paid_at", "When the card was charged.")
    created_at: datetime = strawberry.field(description="When payment was started.")

    @strawberry.field(
        description="The amount charged.",
        extensions=registry_visibility(Payment, "amount_cents"),
    )
    def amount(self, root: Payment) -> Money | None:
        return Money.of(root.amount_cents, root.currency)

    @strawberry.field(
        description="How much of it has been refunded.",
        extensions=registry_visibility(Payment, "refunded_cents"),
    )
    def refunded(self, root: Payment) -> Money | None:
        return Money.of(root.refunded_cents, root.currency)

    @strawberry.field(description="The job paid for.")
    async def job(
        self, root: Payment, info: Info
    ) -> Annotated[JobType, strawberry.lazy("resolvers.jobs.types")] | None:
        job = await info.context.loaders.job.load(root.job_id)
        user = info.context.viewer.user
        return job if job and user and jobs.may_open(job, user) else None  # type: ignore[return-value]

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, Payment)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Payment | None]:
        return await charges.visible_payments(info.context.viewer, int_ids(node_ids))


@strawberry.type(name="PaymentConnection", description="A page of payments, newest first.")
class PaymentConnection(CountedConnection[PaymentType]):
    pass


@strawberry.type(
    name="PaymentMethod",
    description="A saved card. Stripe keeps the number; its owner alone sees these details.",
)
class PaymentMethodType(relay.Node):
    id: relay.NodeID[int]
    brand: str | None = _card("brand", "Card network, e.g. visa.")
    last4: str | None = _card("last4", "The last four digits.")
    exp_month: int | None = _card("exp_month", "Expiry month, 1-12.")
    exp_year: int | None = _card("exp_year", "Expiry year, e.g. 2030.")
    created_at: datetime = strawberry.field(description="When it was saved.")

    @classmethod
    def is_type_of(cls, obj: Any, info: Any) -> bool:
        return isinstance(obj, PaymentMethod)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PaymentMethod | None]:
        viewer_id = info.context.viewer.user_id
        ids = int_ids(node_ids)
        found = {row.id: row for row in await PaymentMethod.filter(id__in=ids, user_id=viewer_id)}
        return [found.get(i) for i in ids]


@strawberry.type(name="PaymentMethodConnection", description="A page of saved cards.")
class PaymentMethodConnection(CountedConnection[PaymentMethodType]):
    pass


@strawberry.type
class UserPaymentFields:
    """Payment fields of the User type, visible to that user alone."""

    @strawberry.field(
        description="Saved cards, newest first; their owner only.", extensions=[owner_only()]
    )
    async def payment_methods(
        self,
        root: User,
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> PaymentMethodConnection | None:
        return await PaymentMethodConnection.resolve_connection(
            customers.cards_of(root.id), info=info, first=first, after=after
        )

    @strawberry.field(
        description="The mentor's payout account status; their own only.",
        extensions=[owner_only()],
    )
    async def payout_status(self, root: User) -> PayoutStatusEnum | None:  # type: ignore[valid-type]
        return await payouts.payout_status(root.id)

"""Payment mutations: thin wrappers over ``services.payments``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from resolvers.base import SIGNED_IN, Payload, mutation, staff
from resolvers.context import Info
from resolvers.ids import row_id
from resolvers.money import MoneyInput
from resolvers.payments.types import PaymentType, PayoutStatusEnum, RefundReasonEnum
from services.payments import charges, customers, payouts
from services.payments.charges import RefundReason

if TYPE_CHECKING:
    from resolvers.accounts.types import UserType

_SECRET = "For Stripe.js to confirm in the browser; do not log or store it."


@strawberry.input(description="An ACCEPTED job of yours, as its client, to pay for.")
class StartJobPaymentInput:
    job_id: relay.GlobalID = strawberry.field(description="The job's global ID.")


@strawberry.type(
    description="What `startJobPayment` answers: the payment, and the secret Stripe.js confirms "
    "it with. Asking again for the same job answers the same payment."
)
class StartJobPaymentPayload(Payload):
    payment: PaymentType | None = strawberry.field(
        default=None, description="The job's payment; null when `errors` says why not."
    )
    client_secret: str | None = strawberry.field(default=None, description=_SECRET)


@strawberry.type(description="What `addPaymentMethod` answers: a secret to save a card with.")
class AddPaymentMethodPayload(Payload):
    client_secret: str | None = strawberry.field(
        default=None,
        description=f"The SetupIntent's client secret. {_SECRET} The card then appears in "
        "`me.paymentMethods` once Stripe confirms it.",
    )


@strawberry.input(description="A saved card of yours to remove.")
class RemovePaymentMethodInput:
    payment_method_id: relay.GlobalID = strawberry.field(
        description="The card's global ID, from `me.paymentMethods`."
    )


@strawberry.type(description="What `removePaymentMethod` answers: which card is gone.")
class RemovePaymentMethodPayload(Payload):
    removed_payment_method_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The removed card's ID, to drop it from a client's cache."
    )
    user: Annotated[UserType, strawberry.lazy("resolvers.accounts.types")] | None = (
        strawberry.field(default=None, description="You, with the cards you have left.")
    )


@strawberry.type(
    description="What `startPayoutOnboarding` answers: where to send the mentor, and how far "
    "their payout account is."
)
class StartPayoutOnboardingPayload(Payload):
    url: str | None = strawberry.field(
        default=None, description="Stripe's single-use onboarding page; send the mentor there."
    )
    payout_status: PayoutStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How far the payout account is now."
    )


@strawberry.input(description="A payment to refund, why, and how much of it.")
class RefundPaymentInput:
    payment_id: relay.GlobalID = strawberry.field(
        description="The payment's global ID; SUCCEEDED or PARTIALLY_REFUNDED, else CONFLICT."
    )
    reason: RefundReasonEnum = strawberry.field(  # type: ignore[valid-type]
        description="Why the money goes back; Stripe records it with the refund."
    )
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description="Part of the payment, in the payment's currency, at most what is not yet "
        "refunded; null refunds all that remains.",
    )


@strawberry.type(description="What `refundPayment` answers: the payment with its refund.")
class RefundPaymentPayload(Payload):
    payment: PaymentType | None = strawberry.field(
        default=None,
        description="The payment as it now is (its job too); null when `errors` says why not.",
    )


@strawberry.type
class PaymentMutations:
    @mutation(
        description="Pay for an accepted job (client): returns the PaymentIntent's client secret.",
        guard=SIGNED_IN,
    )
    async def start_job_payment(
        self, info: Info, actor: User, input: StartJobPaymentInput
    ) -> StartJobPaymentPayload:
        job_id = row_id(input.job_id, "Job", field="jobId")
        payment, secret = await charges.start_job_payment(info.context.runtime, actor, job_id)
        return StartJobPaymentPayload(payment=payment, client_secret=secret)  # type: ignore[arg-type]

    @mutation(
        description="Start saving a card: returns a SetupIntent client secret for Stripe.js.",
        guard=SIGNED_IN,
    )
    async def add_payment_method(self, info: Info, actor: User) -> AddPaymentMethodPayload:
        secret = await customers.start_saving_card(info.context.runtime, actor)
        return AddPaymentMethodPayload(client_secret=secret)

    @mutation(description="Remove a saved card.", guard=SIGNED_IN)
    async def remove_payment_method(
        self, info: Info, actor: User, input: RemovePaymentMethodInput
    ) -> RemovePaymentMethodPayload:
        card_id = row_id(input.payment_method_id, "PaymentMethod", field="paymentMethodId")
        await customers.remove_card(info.context.runtime, actor, card_id)
        return RemovePaymentMethodPayload(
            removed_payment_method_id=input.payment_method_id,
            user=actor,  # type: ignore[arg-type]
        )

    @mutation(
        description="Mentors: a link to Stripe's onboarding for payouts of paid jobs.",
        guard=SIGNED_IN,
    )
    async def start_payout_onboarding(
        self, info: Info, actor: User
    ) -> StartPayoutOnboardingPayload:
        url, account = await payouts.start_payout_onboarding(info.context.runtime, actor)
        return StartPayoutOnboardingPayload(url=url, payout_status=payouts.status_of(account))

    @mutation(
        description="Refund a payment, fully or in part (staff, MANAGE_PAYMENTS). Audited.",
        guard=staff(StaffPermission.MANAGE_PAYMENTS),
    )
    async def refund_payment(
        self, info: Info, actor: User, input: RefundPaymentInput
    ) -> RefundPaymentPayload:
        context = info.context
        payment = await charges.refund_payment(
            context.runtime,
            actor,
            row_id(input.payment_id, "Payment", field="paymentId"),
            amount=input.amount.amount() if input.amount else None,
            reason=RefundReason(input.reason),
            client=context.client,
        )
        return RefundPaymentPayload(payment=payment)  # type: ignore[arg-type]

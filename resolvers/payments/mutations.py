"""Payment mutations: thin wrappers over ``services.payments``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from app.context import Info
from models.accounts import StaffPermission
from resolvers.accounts.types import UserType
from resolvers.base import Payload, payload_mutation
from resolvers.ids import row_id
from resolvers.payments.types import PaymentType, PayoutStatusEnum, RefundReasonEnum
from resolvers.permissions import HasStaffPermission, IsAuthenticated
from services.payments import charges, customers, payouts
from services.payments.charges import RefundReason

_SIGNED_IN = [IsAuthenticated()]
_SECRET = "For Stripe.js to confirm in the browser; do not log or store it."


@strawberry.input
class StartJobPaymentInput:
    job_id: relay.GlobalID


@strawberry.type
class StartJobPaymentPayload(Payload):
    payment: PaymentType | None = None
    client_secret: str | None = strawberry.field(default=None, description=_SECRET)


@strawberry.type
class AddPaymentMethodPayload(Payload):
    client_secret: str | None = strawberry.field(
        default=None,
        description=f"The SetupIntent's client secret. {_SECRET} The card then appears in "
        "`me.paymentMethods` once Stripe confirms it.",
    )


@strawberry.input
class RemovePaymentMethodInput:
    payment_method_id: relay.GlobalID


@strawberry.type
class RemovePaymentMethodPayload(Payload):
    removed_payment_method_id: relay.GlobalID | None = None
    user: UserType | None = None


@strawberry.type
class StartPayoutOnboardingPayload(Payload):
    url: str | None = strawberry.field(
        default=None, description="Stripe's single-use onboarding page; send the mentor there."
    )
    payout_status: PayoutStatusEnum | None = None  # type: ignore[valid-type]


@strawberry.input
class RefundPaymentInput:
    payment_id: relay.GlobalID
    reason: RefundReasonEnum  # type: ignore[valid-type]
    amount_cents: int | None = strawberry.field(
        default=None, description="Part of the payment, in minor units; all that remains if null."
    )


@strawberry.type
class RefundPaymentPayload(Payload):
    payment: PaymentType | None = None


@strawberry.type
class PaymentMutations:
    @payload_mutation(
        description="Pay for an accepted job (client): returns the PaymentIntent's client secret.",
        permissions=_SIGNED_IN,
    )
    async def start_job_payment(
        self, info: Info, input: StartJobPaymentInput
    ) -> StartJobPaymentPayload:
        context = info.context
        job_id = row_id(input.job_id, "Job", field="jobId")
        payment, secret = await charges.start_job_payment(context.runtime, context.viewer, job_id)
        return StartJobPaymentPayload(payment=payment, client_secret=secret)  # type: ignore[arg-type]

    @payload_mutation(
        description="Start saving a card: returns a SetupIntent client secret for Stripe.js.",
        permissions=_SIGNED_IN,
    )
    async def add_payment_method(self, info: Info) -> AddPaymentMethodPayload:
        context = info.context
        user = context.viewer.require_user()
        secret = await customers.start_saving_card(context.runtime, user)
        return AddPaymentMethodPayload(client_secret=secret)

    @payload_mutation(description="Remove a saved card.", permissions=_SIGNED_IN)
    async def remove_payment_method(
        self, info: Info, input: RemovePaymentMethodInput
    ) -> RemovePaymentMethodPayload:
        context = info.context
        user = context.viewer.require_user()
        card_id = row_id(input.payment_method_id, "PaymentMethod", field="paymentMethodId")
        await customers.remove_card(context.runtime, user, card_id)
        return RemovePaymentMethodPayload(
            removed_payment_method_id=input.payment_method_id,
            user=user,  # type: ignore[arg-type]
        )

    @payload_mutation(
        description="Mentors: a link to Stripe's onboarding for payouts of paid jobs.",
        permissions=_SIGNED_IN,
    )
    async def start_payout_onboarding(self, info: Info) -> StartPayoutOnboardingPayload:
        context = info.context
        user = context.viewer.require_user()
        url, account = await payouts.start_payout_onboarding(context.runtime, user)
        return StartPayoutOnboardingPayload(url=url, payout_status=payouts.status_of(account))

    @payload_mutation(
        description="Refund a payment, fully or in part (staff, MANAGE_PAYMENTS). Audited.",
        permissions=[HasStaffPermission(StaffPermission.MANAGE_PAYMENTS)],
    )
    async def refund_payment(self, info: Info, input: RefundPaymentInput) -> RefundPaymentPayload:
        context = info.context
        staff = context.viewer.require_permission(StaffPermission.MANAGE_PAYMENTS)
        payment = await charges.refund_payment(
            context.runtime,
            staff,
            row_id(input.payment_id, "Payment", field="paymentId"),
            amount_cents=input.amount_cents,
            reason=RefundReason(input.reason),
            client=context.client,
        )
        return RefundPaymentPayload(payment=payment)  # type: ignore[arg-type]

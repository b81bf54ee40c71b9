"""Payment steps the tests share, taken through the GraphQL API and the Stripe server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.marketplace import Job
from models.payments import Payment
from tests.marketplace.helpers import ACCEPT_JOB, become_mentor, request_job, row_id
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

START_PAYOUT_ONBOARDING = document("StartPayoutOnboarding")
START_JOB_PAYMENT = document("StartJobPayment")
JOB = document("Job")
PAYMENTS = document("Payments")
PRICE = {"amountCents": 5000, "currency": "EUR"}


@dataclass
class Deal:
    client: SignedIn
    mentor: SignedIn
    job_id: str

    @property
    def job_row_id(self) -> int:
        return row_id(self.job_id)


async def onboard_mentor(graphql: GraphQLClient, stripe: StripeServer, mentor: SignedIn) -> str:
    """The mentor's real path to payouts: onboarding link, then Stripe enabling the account."""
    started = await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    assert started["startPayoutOnboarding"]["errors"] == []
    (account_id,) = stripe.accounts
    assert await stripe.deliver(stripe.complete_onboarding(account_id)) == 200
    return account_id


async def accepted_job(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer, price: dict[str, Any] = PRICE
) -> Deal:
    client = await users.create("Carla Client")
    mentor = await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor, payout_ready=False)
    await onboard_mentor(graphql, stripe, mentor)
    job_id = await request_job(graphql, client, mentor_id)
    accepted = await graphql.data(
        ACCEPT_JOB, {"input": {"jobId": job_id, "price": price}}, token=mentor.token
    )
    assert accepted["acceptJob"]["errors"] == []
    return Deal(client=client, mentor=mentor, job_id=job_id)


async def start_payment(graphql: GraphQLClient, deal: Deal) -> dict[str, Any]:
    data = await graphql.data(
        START_JOB_PAYMENT, {"input": {"jobId": deal.job_id}}, token=deal.client.token
    )
    payload: dict[str, Any] = data["startJobPayment"]
    return payload


async def pay(
    graphql: GraphQLClient, stripe: StripeServer, deal: Deal, card: str = "pm_card_visa"
) -> str:
    """The client pays in the browser (Stripe.js confirms the intent); returns its id."""
    payload = await start_payment(graphql, deal)
    assert payload["errors"] == []
    intent_id = payload["clientSecret"].split("_secret_")[0]
    await stripe.api.v1.payment_intents.confirm_async(intent_id, params={"payment_method": card})
    return intent_id


async def paid_job(graphql: GraphQLClient, users: UserFactory, stripe: StripeServer) -> Deal:
    deal = await accepted_job(graphql, users, stripe)
    await pay(graphql, stripe, deal)
    (succeeded,) = stripe.events_of("payment_intent.succeeded")
    assert await stripe.deliver(succeeded) == 200
    return deal


async def job_status(deal: Deal) -> str:
    return (await Job.get(id=deal.job_row_id)).status.value


async def the_payment(deal: Deal) -> Payment:
    return await Payment.get(job_id=deal.job_row_id)

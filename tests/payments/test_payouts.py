"""Mentors are paid through Stripe Connect: onboarding link, readiness, and paid work."""

from __future__ import annotations

from models.payments import ConnectedAccount
from tests.marketplace.helpers import ACCEPT_JOB, become_mentor, request_job
from tests.payments.helpers import (
    PRICE,
    START_PAYOUT_ONBOARDING,
    accepted_job,
    onboard_mentor,
    start_payment,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.stripe_server import StripeServer
from tests.support.users import SignedIn, UserFactory

# The page that shows saved cards shows a mentor whether payouts are set up.
PAYMENT_METHODS = document("PaymentMethods")


async def payout_status(graphql: GraphQLClient, mentor: SignedIn) -> str:
    data = await graphql.data(PAYMENT_METHODS, token=mentor.token)
    status: str = data["me"]["payoutStatus"]
    return status


async def test_a_mentor_onboards_and_becomes_payout_ready(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    mentor = await users.create("Mona Mentor")
    await become_mentor(graphql, mentor, payout_ready=False)
    assert await payout_status(graphql, mentor) == "NOT_STARTED"

    started = await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    payload = started["startPayoutOnboarding"]
    (account_id,) = stripe.accounts
    assert payload["url"].startswith(f"{stripe.url}/connect/onboarding/{account_id}/")
    assert (payload["payoutStatus"], payload["errors"]) == ("ONBOARDING", [])

    # A second link (the first expired) is for the same account.
    again = await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    assert again["startPayoutOnboarding"]["url"] != payload["url"]
    assert list(stripe.accounts) == [account_id]

    assert await stripe.deliver(stripe.complete_onboarding(account_id)) == 200
    assert await payout_status(graphql, mentor) == "READY"


async def test_stripe_disabling_the_account_takes_readiness_away(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    mentor = await users.create("Mona Mentor")
    await become_mentor(graphql, mentor, payout_ready=False)
    account_id = await onboard_mentor(graphql, stripe, mentor)
    disabled = stripe.record_event(
        "account.updated", {**stripe.accounts[account_id], "payouts_enabled": False}
    )
    assert await stripe.deliver(disabled) == 200
    assert await payout_status(graphql, mentor) == "ONBOARDING"


async def test_only_mentors_start_payout_onboarding(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    client = await users.create("Carla Client")
    refused = await graphql.data(START_PAYOUT_ONBOARDING, token=client.token)
    assert refused["startPayoutOnboarding"] == {
        "url": None,
        "payoutStatus": None,
        "errors": [
            {
                "field": None,
                "code": "CONFLICT",
                "message": "Only mentors receive payouts: create a mentor profile first.",
            }
        ],
    }
    assert stripe.accounts == {}


async def test_a_mentor_without_a_payout_ready_account_cannot_accept_paid_jobs(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    client = await users.create("Carla Client")
    mentor = await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor, payout_ready=False)
    job_id = await request_job(graphql, client, mentor_id)
    accept = {"input": {"jobId": job_id, "price": PRICE}}

    refused = await graphql.data(ACCEPT_JOB, accept, token=mentor.token)
    assert refused["acceptJob"] == {
        "job": None,
        "errors": [
            {
                "field": None,
                "code": "CONFLICT",
                "message": "Set up payouts first (startPayoutOnboarding): paid jobs need a "
                "payout account that Stripe has enabled.",
            }
        ],
    }
    await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    assert (await graphql.data(ACCEPT_JOB, accept, token=mentor.token))["acceptJob"]["errors"]

    await stripe.deliver(stripe.complete_onboarding(next(iter(stripe.accounts))))
    accepted = await graphql.data(ACCEPT_JOB, accept, token=mentor.token)
    assert accepted["acceptJob"]["job"]["status"] == "ACCEPTED"
    assert await ConnectedAccount.filter(user_id=mentor.user.id, charges_enabled=True).exists()


async def test_payout_status_is_the_mentors_own(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    mentor = await users.create("Mona Mentor")
    await become_mentor(graphql, mentor)
    other = await users.create("Otto Other")
    # No client page asks for another person's payout status: this checks nobody gets it.
    query = "query AnotherUsersPayoutStatus($id: ID!) { user(id: $id) { name payoutStatus } }"
    seen = await graphql.data(query, {"id": mentor.global_id}, token=other.token)
    assert seen == {"user": {"name": "Mona Mentor", "payoutStatus": None}}


async def test_a_job_cannot_be_paid_while_the_mentors_account_is_disabled(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    deal = await accepted_job(graphql, users, stripe)
    (account_id,) = stripe.accounts
    disabled = stripe.record_event(
        "account.updated", {**stripe.accounts[account_id], "charges_enabled": False}
    )
    assert await stripe.deliver(disabled) == 200

    payload = await start_payment(graphql, deal)
    assert payload["errors"] == [
        {"field": "jobId", "code": "CONFLICT", "message": "The mentor cannot receive payments yet."}
    ]
    assert stripe.objects("payment_intent") == []


async def test_an_older_account_event_arriving_late_changes_nothing(
    graphql: GraphQLClient, users: UserFactory, stripe: StripeServer
) -> None:
    mentor = await users.create("Mona Mentor")
    await become_mentor(graphql, mentor, payout_ready=False)
    await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    (account_id,) = stripe.accounts
    enabled = stripe.complete_onboarding(account_id)
    disabled = stripe.record_event(
        "account.updated", {**stripe.accounts[account_id], "charges_enabled": False}
    )
    disabled["created"] = enabled["created"] + 5  # Stripe disabled it afterwards

    assert await stripe.deliver(disabled) == 200
    assert await stripe.deliver(enabled) == 200  # the older event, delivered late
    assert await payout_status(graphql, mentor) == "ONBOARDING"
    assert (await ConnectedAccount.get(stripe_account_id=account_id)).charges_enabled is False

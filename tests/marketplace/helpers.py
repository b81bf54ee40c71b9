"""Marketplace steps the tests share, each taken through the GraphQL API as a client would."""

from __future__ import annotations

from typing import Any

from strawberry.relay import from_base64

from services import jobs
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.payouts import make_payout_ready
from tests.support.users import SignedIn

BECOME_MENTOR = document("BecomeMentor")
REQUEST_JOB = document("RequestJob")
ACCEPT_JOB = document("AcceptJob")
JOB_ACTIONS = {
    name: document(name[0].upper() + name[1:])
    for name in ("declineJob", "cancelJob", "deliverJob", "completeJob")
}
WRITE_TESTIMONIAL = document("WriteTestimonial")


def row_id(global_id: str) -> int:
    return int(from_base64(global_id)[1])


# What becomeMentor is sent unless a test says otherwise.
MENTOR_PROFILE = {
    "headline": "Python mentor",
    "expertise": ["python"],
    "languages": ["en"],
    "hourlyRate": {"amountCents": 6000, "currency": "EUR"},
    "timezone": "Europe/Paris",
}


async def become_mentor(
    graphql: GraphQLClient, who: SignedIn, *, payout_ready: bool = True, **fields: Any
) -> str:
    """Make ``who`` a mentor (by default one Stripe has enabled for payouts, so they can accept
    paid jobs); returns the Mentor global ID."""
    profile = {**MENTOR_PROFILE, **fields}
    data = await graphql.data(BECOME_MENTOR, {"input": profile}, token=who.token)
    assert data["becomeMentor"]["errors"] == []
    if payout_ready:
        await make_payout_ready(who.user)
    mentor_id: str = data["becomeMentor"]["mentor"]["id"]
    return mentor_id


async def request_job(
    graphql: GraphQLClient, client: SignedIn, mentor_id: str, description: str = "Help me"
) -> str:
    data = await graphql.data(
        REQUEST_JOB,
        {"input": {"mentorId": mentor_id, "description": description}},
        token=client.token,
    )
    assert data["requestJob"]["errors"] == []
    job_id: str = data["requestJob"]["job"]["id"]
    return job_id


async def job_action(graphql: GraphQLClient, name: str, job_id: str, who: SignedIn) -> Any:
    return await graphql(JOB_ACTIONS[name], {"input": {"jobId": job_id}}, token=who.token)


async def completed_job(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> str:
    """Request → accept → paid (the internal transition payments drives) → deliver → complete."""
    job_id = await request_job(graphql, client, mentor_id)
    accepted = await graphql.data(
        ACCEPT_JOB,
        {"input": {"jobId": job_id, "price": {"amountCents": 9000, "currency": "EUR"}}},
        token=mentor.token,
    )
    assert accepted["acceptJob"]["errors"] == []
    await jobs.transition(row_id(job_id), jobs.JobAction.MARK_PAID, jobs.SYSTEM)
    for name, who in (("deliverJob", mentor), ("completeJob", client)):
        body = await job_action(graphql, name, job_id, who)
        assert body["data"][name]["errors"] == [], body
    return job_id


async def write_testimonial(
    graphql: GraphQLClient, client: SignedIn, job_id: str, rating: int = 5, text: str = "Great"
) -> str:
    data = await graphql.data(
        WRITE_TESTIMONIAL,
        {"input": {"jobId": job_id, "rating": rating, "text": text}},
        token=client.token,
    )
    assert data["writeTestimonial"]["errors"] == []
    testimonial_id: str = data["writeTestimonial"]["testimonial"]["id"]
    return testimonial_id

"""The marketplace as two new users meet it, through the operation documents in graphql/."""

from __future__ import annotations

from typing import Any

import pytest

from models.accounts import User
from services import jobs
from tests.marketplace.helpers import row_id
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.payouts import make_payout_ready

PASSWORD = "a long and unusual passphrase 42"


async def _sign_up_and_log_in(graphql: GraphQLClient, name: str, email: str) -> str:
    credentials = {"email": email, "password": PASSWORD}
    await graphql.data(document("SignUp"), {"input": {**credentials, "name": name}})
    logged_in = await graphql.data(
        document("LogIn"), {"input": {**credentials, "session": "TOKEN"}}
    )
    token: str = logged_in["logIn"]["token"]
    return token


async def _run(graphql: GraphQLClient, name: str, variables: dict[str, Any], token: str) -> Any:
    data = await graphql.data(document(name), variables, token=token)
    payload = data[name[0].lower() + name[1:]]
    assert payload["errors"] == [], payload
    return payload


@pytest.mark.promise("P14")
async def test_two_new_users_find_each_other_work_together_and_consent_to_a_testimonial(
    graphql: GraphQLClient,
) -> None:
    mentor = await _sign_up_and_log_in(graphql, "Grace Hopper", "grace@example.com")
    client = await _sign_up_and_log_in(graphql, "Linus Pauling", "linus@example.com")
    profile = {
        "headline": "Compilers, explained",
        "expertise": ["compilers", "cobol"],
        "languages": ["en"],
        "hourlyRate": {"amountCents": 8000, "currency": "USD"},
        "timezone": "America/New_York",
    }
    await _run(graphql, "BecomeMentor", {"input": profile}, mentor)
    # Payout onboarding with Stripe is the payments suite's subject: here Stripe has enabled it.
    await make_payout_ready(await User.get(email="grace@example.com"))

    found = await graphql.data(document("Mentors"), {"filter": {"expertise": "compilers"}})
    assert [edge["node"]["name"] for edge in found["mentors"]["edges"]] == ["Grace Hopper"]
    mentor_id = found["mentors"]["edges"][0]["node"]["id"]

    requested = await _run(
        graphql,
        "RequestJob",
        {"input": {"mentorId": mentor_id, "description": "Explain parsing to me"}},
        client,
    )
    job_id = requested["job"]["id"]
    price = {"amountCents": 16000, "currency": "USD"}
    await _run(graphql, "AcceptJob", {"input": {"jobId": job_id, "price": price}}, mentor)
    await jobs.transition(row_id(job_id), jobs.JobAction.MARK_PAID, jobs.SYSTEM)
    await _run(graphql, "DeliverJob", {"input": {"jobId": job_id}}, mentor)
    completed = await _run(graphql, "CompleteJob", {"input": {"jobId": job_id}}, client)
    assert completed["job"]["status"] == "COMPLETED"

    written = await _run(
        graphql,
        "WriteTestimonial",
        {"input": {"jobId": job_id, "rating": 5, "text": "Parsing finally clicked."}},
        client,
    )
    testimonial_id = written["testimonial"]["id"]

    async def public_list() -> list[dict[str, Any]]:
        data = await graphql.data(document("Testimonials"), {"mentorId": mentor_id})
        return [
            {"text": edge["node"]["text"], "authorName": edge["node"]["authorName"]}
            for edge in data["testimonials"]["edges"]
        ]

    assert await public_list() == []
    grant = {"testimonialId": testimonial_id, "scope": "PROFILE", "attribution": "INITIALS"}
    await _run(graphql, "GrantTestimonialPermission", {"input": grant}, client)
    assert await public_list() == [{"text": "Parsing finally clicked.", "authorName": "Linus P."}]
    revoke = {"testimonialId": testimonial_id, "scope": "PROFILE"}
    await _run(graphql, "RevokeTestimonialPermission", {"input": revoke}, client)
    assert await public_list() == []

"""Jobs: one state machine with its actors; refusals change nothing; counterparties see each
other; concurrent transitions on one job cannot both win."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.errors import Conflict, DomainError, Forbidden, NotFound
from models.accounts import StaffPermission
from models.marketplace import Job, JobStatus
from services import jobs
from tests.marketplace.helpers import (
    ACCEPT_JOB,
    become_mentor,
    completed_job,
    job_action,
    request_job,
    row_id,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

JOB = document("Job")
JOBS = document("Jobs")
USER = document("User")
# No client page asks for this: it checks that the mentor cannot reach the client's address.
CLIENT_EMAIL_ON_A_JOB = "query ClientEmailOnAJob($id: ID!) { job(id: $id) { client { email } } }"


@pytest.fixture
async def mentor(users: UserFactory) -> SignedIn:
    return await users.create("Mia Mentor")


@pytest.fixture
async def mentor_id(graphql: GraphQLClient, mentor: SignedIn) -> str:
    return await become_mentor(graphql, mentor)


@pytest.fixture
async def client(users: UserFactory) -> SignedIn:
    return await users.create("Carl Client", email="carl@example.com")


async def _accept(graphql: GraphQLClient, job_id: str, who: SignedIn) -> dict[str, object]:
    price = {"amountCents": 12000, "currency": "eur"}
    return await graphql(ACCEPT_JOB, {"input": {"jobId": job_id, "price": price}}, token=who.token)


async def _status(job_id: str) -> JobStatus:
    return (await Job.get(id=row_id(job_id))).status


async def _user_as_seen_by(graphql: GraphQLClient, person: SignedIn, viewer: SignedIn) -> Any:
    return (await graphql.data(USER, {"id": person.global_id}, token=viewer.token))["user"]


def _ids_and_statuses(jobs: dict[str, Any]) -> list[tuple[str, str]]:
    return [(edge["node"]["id"], edge["node"]["status"]) for edge in jobs["edges"]]


async def test_a_job_runs_from_request_to_completion(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    job_id = await request_job(graphql, client, mentor_id, "Review my API design")
    accepted = await _accept(graphql, job_id, mentor)
    assert accepted["data"]["acceptJob"] == {  # type: ignore[index]
        "job": {
            "id": job_id,
            "status": "ACCEPTED",
            "price": {"amountCents": 12000, "currency": "EUR"},
        },
        "errors": [],
    }
    await jobs.transition(row_id(job_id), jobs.JobAction.MARK_PAID, jobs.SYSTEM)
    assert (await job_action(graphql, "deliverJob", job_id, mentor))["data"]["deliverJob"]["job"][
        "status"
    ] == "DELIVERED"
    assert (await job_action(graphql, "completeJob", job_id, client))["data"]["completeJob"]["job"][
        "status"
    ] == "COMPLETED"
    seen = (await graphql.data(JOB, {"id": job_id}, token=mentor.token))["job"]
    assert {
        field: seen[field] for field in ("id", "status", "description", "price", "client", "mentor")
    } == {
        "id": job_id,
        "status": "COMPLETED",
        "description": "Review my API design",
        "price": {"amountCents": 12000, "currency": "EUR"},
        "client": {"id": client.global_id, "name": "Carl Client"},
        "mentor": {"id": mentor_id, "name": "Mia Mentor"},
    }
    assert await graphql.data(CLIENT_EMAIL_ON_A_JOB, {"id": job_id}, token=mentor.token) == {
        "job": {"client": {"email": None}}
    }


async def test_the_wrong_actor_is_forbidden_and_nothing_changes(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    job_id = await request_job(graphql, client, mentor_id)
    refused = await _accept(graphql, job_id, client)
    assert error_codes(refused) == ["FORBIDDEN"]
    assert refused["errors"][0]["message"] == (  # type: ignore[index]
        "Only the mentor can accept this job (it is REQUESTED)."
    )
    assert refused["data"] is None
    declined = await job_action(graphql, "declineJob", job_id, client)
    assert error_codes(declined) == ["FORBIDDEN"]
    assert await _status(job_id) is JobStatus.REQUESTED
    job = await Job.get(id=row_id(job_id))
    assert (job.price_cents, job.accepted_at) == (None, None)


async def test_the_wrong_state_is_a_conflict_naming_the_state_and_nothing_changes(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    job_id = await request_job(graphql, client, mentor_id)
    delivered = await job_action(graphql, "deliverJob", job_id, mentor)
    assert delivered["data"]["deliverJob"] == {
        "job": None,
        "errors": [
            {
                "field": "id",
                "code": "CONFLICT",
                "message": "Cannot deliver this job: it is REQUESTED.",
            }
        ],
    }
    await job_action(graphql, "declineJob", job_id, mentor)
    accepted = await _accept(graphql, job_id, mentor)
    assert accepted["data"]["acceptJob"]["errors"] == [  # type: ignore[index]
        {"field": "id", "code": "CONFLICT", "message": "Cannot accept this job: it is DECLINED."}
    ]
    job = await Job.get(id=row_id(job_id))
    assert (job.status, job.price_cents) == (JobStatus.DECLINED, None)


async def test_cancelling_where_the_table_allows(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    requested = await request_job(graphql, client, mentor_id)
    mentor_cancels = await job_action(graphql, "cancelJob", requested, mentor)
    assert mentor_cancels["data"]["cancelJob"]["errors"][0]["code"] == "CONFLICT"
    assert (await job_action(graphql, "cancelJob", requested, client))["data"]["cancelJob"]["job"][
        "status"
    ] == "CANCELLED"
    accepted = await request_job(graphql, client, mentor_id)
    await _accept(graphql, accepted, mentor)
    assert (await job_action(graphql, "cancelJob", accepted, mentor))["data"]["cancelJob"]["job"][
        "status"
    ] == "CANCELLED"
    paid = await request_job(graphql, client, mentor_id)
    await _accept(graphql, paid, mentor)
    await jobs.transition(row_id(paid), jobs.JobAction.MARK_PAID, jobs.SYSTEM)
    late = await job_action(graphql, "cancelJob", paid, client)
    assert late["data"]["cancelJob"]["errors"] == [
        {"field": "id", "code": "CONFLICT", "message": "Cannot cancel this job: it is PAID."}
    ]


async def test_disputes_open_from_paid_states_and_resolve_back_or_refund(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    job_id = row_id(await completed_job(graphql, client, mentor, mentor_id))
    disputed = await jobs.transition(job_id, jobs.JobAction.OPEN_DISPUTE, jobs.SYSTEM)
    assert disputed.status is JobStatus.DISPUTED
    restored = await jobs.transition(job_id, jobs.JobAction.RESOLVE_DISPUTE, jobs.SYSTEM)
    assert restored.status is JobStatus.COMPLETED
    await jobs.transition(job_id, jobs.JobAction.OPEN_DISPUTE, jobs.SYSTEM)
    refunded = await jobs.transition(job_id, jobs.JobAction.REFUND, jobs.SYSTEM)
    assert refunded.status is JobStatus.CANCELLED
    requested = row_id(await request_job(graphql, client, mentor_id))
    with pytest.raises(Conflict, match="it is REQUESTED"):
        await jobs.transition(requested, jobs.JobAction.OPEN_DISPUTE, jobs.SYSTEM)
    with pytest.raises(Forbidden):
        await jobs.transition(requested, jobs.JobAction.MARK_PAID, client.user)


async def test_a_job_is_visible_to_its_parties_and_staff_only(
    graphql: GraphQLClient,
    users: UserFactory,
    client: SignedIn,
    mentor: SignedIn,
    mentor_id: str,
) -> None:
    job_id = await request_job(graphql, client, mentor_id)
    outsider = await users.create("Olga Outsider")
    staff = await users.create("Sam", staff=[StaffPermission.MANAGE_PAYMENTS])
    for token in (None, outsider.token):
        assert await graphql.data(JOB, {"id": job_id}, token=token) == {"job": None}
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert await graphql.data(node, {"id": job_id}, token=outsider.token) == {"node": None}
    for who in (client, mentor, staff):
        seen = await graphql.data(JOB, {"id": job_id}, token=who.token)
        assert seen["job"]["status"] == "REQUESTED"
    outsider_acts = await job_action(graphql, "cancelJob", job_id, outsider)
    assert outsider_acts["data"]["cancelJob"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "No such job."}
    ]


async def test_a_job_makes_client_and_mentor_counterparties_and_no_one_else(
    graphql: GraphQLClient,
    users: UserFactory,
    client: SignedIn,
    mentor: SignedIn,
    mentor_id: str,
) -> None:
    assert await _user_as_seen_by(graphql, client, mentor) is None
    await request_job(graphql, client, mentor_id)
    assert (await _user_as_seen_by(graphql, client, mentor))["name"] == "Carl Client"
    assert (await _user_as_seen_by(graphql, mentor, client))["name"] == "Mia Mentor"
    outsider = await users.create("Olga")
    assert await _user_as_seen_by(graphql, client, outsider) is None


async def test_jobs_lists_the_viewers_side_with_a_status_filter(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    first = await request_job(graphql, client, mentor_id)
    second = await request_job(graphql, client, mentor_id)
    await job_action(graphql, "declineJob", first, mentor)
    as_client = (await graphql.data(JOBS, {"as": "CLIENT"}, token=client.token))["jobs"]
    assert as_client["totalCount"] == 2
    assert _ids_and_statuses(as_client) == [(second, "REQUESTED"), (first, "DECLINED")]
    as_mentor = await graphql.data(JOBS, {"as": "MENTOR", "status": "DECLINED"}, token=mentor.token)
    assert _ids_and_statuses(as_mentor["jobs"]) == [(first, "DECLINED")]
    assert (await graphql.data(JOBS, {"as": "MENTOR"}, token=client.token))["jobs"][
        "totalCount"
    ] == 0


async def test_a_client_cannot_hire_themself(
    graphql: GraphQLClient, mentor: SignedIn, mentor_id: str
) -> None:
    from tests.marketplace.helpers import REQUEST_JOB

    body = await graphql.data(
        REQUEST_JOB, {"input": {"mentorId": mentor_id, "description": "x"}}, token=mentor.token
    )
    assert body["requestJob"]["errors"][0]["code"] == "BAD_USER_INPUT"


async def test_concurrent_transitions_on_one_job_cannot_both_succeed(
    graphql: GraphQLClient, client: SignedIn, mentor: SignedIn, mentor_id: str
) -> None:
    """Accept against decline, and a double accept: each reads REQUESTED, only one may act on
    it. PostgreSQL orders them by the row lock, SQLite by running one write at a time."""
    accept = (jobs.JobAction.ACCEPT, jobs.Price(5000, "EUR"))
    accept_dearer = (jobs.JobAction.ACCEPT, jobs.Price(9000, "EUR"))
    decline = (jobs.JobAction.DECLINE, None)
    for first, second in [(accept, decline), (decline, accept), (accept, accept_dearer)] * 2:
        job_id = row_id(await request_job(graphql, client, mentor_id))
        outcomes = await asyncio.gather(
            *(
                jobs.transition(job_id, action, mentor.user, price=price)
                for action, price in (first, second)
            ),
            return_exceptions=True,
        )
        winners = [o for o in outcomes if isinstance(o, Job)]
        losers = [o for o in outcomes if isinstance(o, DomainError)]
        assert (len(winners), len(losers)) == (1, 1), outcomes
        assert isinstance(losers[0], Conflict)
        stored = await Job.get(id=job_id)
        assert (stored.status, stored.price_cents) == (winners[0].status, winners[0].price_cents)


async def test_a_missing_job_and_an_invisible_one_answer_alike(
    client: SignedIn, users: UserFactory, graphql: GraphQLClient, mentor_id: str
) -> None:
    job_id = row_id(await request_job(graphql, client, mentor_id))
    outsider = await users.create("Olga")
    for missing in (job_id, job_id + 1000):
        with pytest.raises(NotFound, match="No such job"):
            await jobs.transition(missing, jobs.JobAction.CANCEL, outsider.user)

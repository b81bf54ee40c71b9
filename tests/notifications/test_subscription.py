"""``subscription { notifications }`` over graphql-transport-ws: your own, each once, as they
commit, for as long as your session lasts (P10)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient
from strawberry.relay import to_base64

from app.sessions import SESSION_COOKIE
from core.runtime import Runtime
from models.notifications import Notification
from services import accounts, jobs
from services.client import ClientInfo
from services.notifications.bus import InProcessBus
from tests.marketplace.helpers import become_mentor, job_action, request_job, row_id
from tests.notifications.conftest import Bus, installed
from tests.payments.helpers import START_PAYOUT_ONBOARDING
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.stripe_server import StripeServer
from tests.support.subscriptions import Closed, opened, subscribed
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P10")


def following(bus: Bus, who: SignedIn) -> Callable[[], bool]:
    return lambda: bool(bus.following(who.user.id))


async def _pair(graphql: GraphQLClient, users: UserFactory) -> tuple[SignedIn, SignedIn, str]:
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    return client, mentor, await become_mentor(graphql, mentor)


async def test_a_request_reaches_the_mentors_subscription_in_text_frames(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    async with subscribed(
        http.ws_connect, token=mentor.token, following=following(bus, mentor)
    ) as socket:
        job_id = await request_job(graphql, client, mentor_id, "Review my API")
        told = await socket.notification()
        assert {key: told[key] for key in ("kind", "title", "job", "testimonial", "payment")} == {
            "kind": "JOB_REQUESTED",
            "title": "New job request",
            "job": {"id": job_id, "status": "REQUESTED"},
            "testimonial": None,
            "payment": None,
        }
        [stored] = await Notification.all()
        assert told["id"] == to_base64("Notification", stored.id)
        assert set(socket.frame_types) == {WSMsgType.TEXT}


async def test_the_session_cookie_authenticates_a_connection(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    cookie = {"Cookie": f"{SESSION_COOKIE}={mentor.token}"}
    async with subscribed(
        http.ws_connect, headers=cookie, following=following(bus, mentor)
    ) as socket:
        await request_job(graphql, client, mentor_id)
        assert (await socket.notification())["kind"] == "JOB_REQUESTED"


@pytest.mark.parametrize("payload", [{}, {"token": "not-a-session"}, {"token": 42}])
async def test_a_connection_that_speaks_for_nobody_is_refused(
    http: TestClient[Any, Any], payload: dict[str, Any]
) -> None:
    async with opened(http.ws_connect) as socket:
        with pytest.raises(Closed) as refused:
            await socket.init(payload)
        assert refused.value.code == 4403


async def test_each_message_reads_the_rows_afresh(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    """Loaders live for one message, not for the connection: the second notification shows
    the job as it is now, not as the first one's loaders saw it."""
    client, mentor, mentor_id = await _pair(graphql, users)
    async with subscribed(
        http.ws_connect, token=mentor.token, following=following(bus, mentor)
    ) as socket:
        job_id = await request_job(graphql, client, mentor_id)
        assert (await socket.notification())["job"] == {"id": job_id, "status": "REQUESTED"}
        cancelled = await job_action(graphql, "cancelJob", job_id, client)
        assert cancelled["data"]["cancelJob"]["errors"] == []
        again = await socket.notification()
        assert (again["kind"], again["job"]) == (
            "JOB_CANCELLED",
            {"id": job_id, "status": "CANCELLED"},
        )


async def test_another_users_notification_never_reaches_a_subscriber(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    other = await users.create("Otto Other")
    other_mentor_id = await become_mentor(graphql, other)
    async with (
        subscribed(
            http.ws_connect, token=mentor.token, following=following(bus, mentor)
        ) as mentors,
        subscribed(http.ws_connect, token=other.token, following=following(bus, other)) as others,
        # The client's own stream hears of neither request: those are the mentors'.
        subscribed(http.ws_connect, token=client.token, following=following(bus, client)) as own,
    ):
        first = await request_job(graphql, client, mentor_id, "For Mona")
        assert (await mentors.notification())["job"]["id"] == first
        second = await request_job(graphql, client, other_mentor_id, "For Otto")
        # The other mentor's first message is their own request, never Mona's.
        assert (await others.notification())["job"]["id"] == second
        await bus.check()
        assert await mentors.silent_for(0.3)
        assert await own.silent_for(0.1)


async def test_each_notification_is_sent_once_however_often_it_is_announced(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    client, mentor, mentor_id = await _pair(graphql, users)
    async with subscribed(
        http.ws_connect, token=mentor.token, following=following(bus, mentor)
    ) as socket:
        await request_job(graphql, client, mentor_id)
        await socket.notification()
        [stored] = await Notification.all()
        await bus.publish(mentor.user.id, [stored.id])
        bus.tell_everyone()
        await bus.check()
        assert await socket.silent_for(0.4)  # several checks of the quick bus


async def test_a_notification_nothing_announced_is_found_by_the_check(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory, bus: Bus
) -> None:
    """Written where nothing announces it (a script; or its announcement was lost), it is
    found by the periodic check, which sees the database holds something newer."""
    client, mentor, mentor_id = await _pair(graphql, users)
    job_id = await request_job(graphql, client, mentor_id)
    async with subscribed(
        http.ws_connect, token=client.token, following=following(bus, client)
    ) as socket:
        await jobs.transition(row_id(job_id), jobs.JobAction.DECLINE, mentor.user)
        assert (await socket.notification(within=2))["kind"] == "JOB_DECLINED"


@pytest.mark.parametrize("cause", ["mutation", "stripe_event"])
async def test_what_an_edge_writes_is_announced_as_it_commits(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    stripe: StripeServer,
    cause: str,
) -> None:
    """With no periodic check to fall back on, a notification written by a mutation or by a
    Stripe event still arrives: the edge announces it once its work has committed."""
    client, mentor = await users.create("Carla Client"), await users.create("Mona Mentor")
    mentor_id = await become_mentor(graphql, mentor, payout_ready=False)
    started = await graphql.data(START_PAYOUT_ONBOARDING, token=mentor.token)
    assert started["startPayoutOnboarding"]["errors"] == []
    async with (
        installed(runtime, InProcessBus(timedelta(hours=1))) as never_checking,
        subscribed(
            http.ws_connect, token=mentor.token, following=following(never_checking, mentor)
        ) as socket,
    ):
        if cause == "mutation":
            await request_job(graphql, client, mentor_id)
            expected = "JOB_REQUESTED"
        else:
            (account_id,) = stripe.accounts
            assert await stripe.deliver(stripe.complete_onboarding(account_id)) == 200
            expected = "PAYOUT_READY"
        assert (await socket.notification(within=2))["kind"] == expected


async def test_queries_and_mutations_go_over_http(
    http: TestClient[Any, Any], users: UserFactory, bus: Bus
) -> None:
    mentor = await users.create("Mona Mentor")
    async with opened(http.ws_connect) as socket:
        assert await socket.init({"token": mentor.token}) == {"type": "connection_ack"}
        for operation in ("{ me { id } }", document("LogOut")):
            await socket.subscribe(operation, operation_id=operation[:8])
            answer = await socket.receive()
            assert answer["type"] == "next", answer
            [error] = answer["payload"]["errors"]
            assert error["extensions"] == {"code": "BAD_USER_INPUT"}
            assert (await socket.receive())["type"] == "complete"


async def _log_out(graphql: GraphQLClient, who: SignedIn, other: SignedIn) -> None:
    await graphql.data(document("LogOut"), token=who.token)


async def _log_out_everywhere(graphql: GraphQLClient, who: SignedIn, other: SignedIn) -> None:
    await graphql.data(document("LogOutEverywhere"), token=other.token)


async def _change_password(graphql: GraphQLClient, who: SignedIn, other: SignedIn) -> None:
    """From another session of the same account: every other session is signed out."""
    changed = await graphql.data(
        document("ChangePassword"),
        {"input": {"currentPassword": PASSWORD, "newPassword": "a fresh passphrase for mona"}},
        token=other.token,
    )
    assert changed["changePassword"]["errors"] == []


@pytest.mark.parametrize("revoke", [_log_out, _log_out_everywhere, _change_password])
async def test_a_revoked_sessions_subscription_is_closed(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    bus: Bus,
    revoke: Callable[..., Any],
) -> None:
    mentor = await users.create("Mona Mentor")
    token, _ = await accounts.start_session(runtime, mentor.user, ClientInfo(ip="127.0.0.1"))
    other_session = SignedIn(user=mentor.user, token=token)
    async with subscribed(
        http.ws_connect, token=mentor.token, following=following(bus, mentor)
    ) as socket:
        await revoke(graphql, mentor, other_session)
        closed = await socket.closed(within=2)  # the quick bus checks every 0.1 s
        assert (closed.code, closed.reason) == (4403, "Session ended")
    assert not bus.following(mentor.user.id)

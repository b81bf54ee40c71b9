"""Benchmark: subscription fan-out, from a mutation's commit to the subscriber's message.

    .venv/bin/python bench/notification_fanout.py [--subscribers 1000] [--events 200]
                                                  [--concurrency 16]

Creates a fresh PostgreSQL database (BENCH_DATABASE_SERVER, default the local server) with
``--subscribers`` mentors and one client, each with a session, starts two `mentor-api serve`
processes on it with Redis (BENCH_REDIS_URL), as in production, and opens one
graphql-transport-ws subscription per mentor on the first. Then, through ordinary `requestJob`
mutations of the client over HTTP, sent to the process holding the subscriptions (which tells
them directly) and then to the other one (the announcement crosses Redis):

* one by one: ``--events`` requests, each to a mentor picked at random, while all the
  subscriptions stay open;
* a burst: one request to every mentor, ``--concurrency`` at a time, so every subscription
  receives one message.

The latency of a message is the time it reaches the subscriber minus the notification's
``createdAt``, which the server stamps as it writes the row, just before its transaction
commits: an upper bound of commit → message, by at most the commit itself (the two clocks are
this machine's). Prints p50/p99/max for each run and the mutations' own round trip.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from harness import ROOT, deployment, percentile

sys.path.insert(0, str(ROOT))

from app.db import apply_migrations, open_database
from models.accounts import Session, User
from models.marketplace import MentorProfile
from services.tokens import token_digest

SUBSCRIPTION = "subscription { notifications { id createdAt job { id } } }"
REQUEST_JOB = """
mutation Ask($mentor: ID!) { requestJob(input: {mentorId: $mentor, description: "Help"}) {
  job { id } errors { code } } }
"""


async def seed(database_url: str, subscribers: int) -> tuple[str, list[tuple[str, str]]]:
    """The client's token, and each mentor's (token, Mentor global ID)."""
    from strawberry.relay import to_base64

    await apply_migrations(database_url)
    database = await open_database(database_url)
    expires = datetime.now(UTC) + timedelta(days=1)
    try:
        # Unconfirmed addresses: no notification mail, so what is measured is the fan-out.
        await User.bulk_create(
            [User(email=f"mentor{i}@bench.example", name=f"Mentor {i}") for i in range(subscribers)]
            + [User(email="client@bench.example", name="Client")]
        )
        users = await User.all().order_by("id")
        client, mentors = users[-1], users[:-1]
        await MentorProfile.bulk_create([MentorProfile(user_id=m.id) for m in mentors])
        profiles = {p.user_id: p.id for p in await MentorProfile.all()}
        tokens = {user.id: secrets.token_urlsafe(32) for user in users}
        await Session.bulk_create(
            [
                Session(
                    user_id=user.id, token_hash=token_digest(tokens[user.id]), expires_at=expires
                )
                for user in users
            ]
        )
    finally:
        await database.close_connections()
    return tokens[client.id], [(tokens[m.id], to_base64("Mentor", profiles[m.id])) for m in mentors]


class Subscriber:
    """One graphql-transport-ws connection; records when each message arrives."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.arrivals: dict[str, tuple[float, str]] = {}  # job id: (received, createdAt)
        self.got = asyncio.Event()

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, url: str, token: str) -> Subscriber:
        socket = await session.ws_connect(url, protocols=["graphql-transport-ws"])
        await socket.send_str(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        ack = json.loads((await socket.receive(timeout=30)).data)
        assert ack["type"] == "connection_ack", ack
        subscribe = {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
        await socket.send_str(json.dumps(subscribe))
        return cls(socket)

    async def read(self) -> None:
        async for frame in self.socket:
            received = time.time()
            if frame.type is not aiohttp.WSMsgType.TEXT:
                raise RuntimeError(f"a {frame.type.name} frame")
            message = json.loads(frame.data)
            if message["type"] == "next":
                notification = message["payload"]["data"]["notifications"]
                self.arrivals[notification["job"]["id"]] = (received, notification["createdAt"])
                self.got.set()


@dataclass
class World:
    client: str
    mentors: list[tuple[str, str]]
    subscribers: list[Subscriber] = field(default_factory=list)
    owner: dict[str, int] = field(default_factory=dict)  # job id: its mentor's index


async def ask(
    session: aiohttp.ClientSession, url: str, client: str, mentor: str
) -> tuple[str, float]:
    started = time.perf_counter()
    body = {"query": REQUEST_JOB, "variables": {"mentor": mentor}}
    headers = {"Authorization": f"Bearer {client}"}
    async with session.post(url, json=body, headers=headers) as response:
        answer: dict[str, Any] = await response.json()
    assert answer["data"]["requestJob"]["errors"] == [], answer
    return answer["data"]["requestJob"]["job"]["id"], time.perf_counter() - started


def latencies_ms(
    subscribers: list[Subscriber], job_ids: list[str], owner: dict[str, int]
) -> list[float]:
    found = []
    for job_id in job_ids:
        received, created = subscribers[owner[job_id]].arrivals[job_id]
        found.append((received - datetime.fromisoformat(created).timestamp()) * 1000)
    return found


def report(label: str, values: list[float], round_trips: list[float]) -> None:
    print(
        f"{label}: {len(values)} messages  commit→message p50 {percentile(values, 0.5):6.1f} ms  "
        f"p99 {percentile(values, 0.99):6.1f} ms  max {max(values):6.1f} ms   "
        f"(requestJob round trip p50 {percentile(round_trips, 0.5) * 1000:5.1f} ms)"
    )


async def wait_for(
    subscribers: list[Subscriber], job_ids: list[str], owner: dict[str, int]
) -> None:
    deadline = time.perf_counter() + 60
    while any(job_id not in subscribers[owner[job_id]].arrivals for job_id in job_ids):
        if time.perf_counter() > deadline:
            raise RuntimeError("some subscribers never got their message")
        await asyncio.sleep(0.01)


async def one_by_one(
    args: argparse.Namespace, session: aiohttp.ClientSession, url: str, world: World
) -> None:
    rng = random.Random(8)
    job_ids, trips = [], []
    for _ in range(args.events):
        picked = rng.randrange(len(world.mentors))
        job_id, trip = await ask(session, url, world.client, world.mentors[picked][1])
        world.owner[job_id] = picked
        job_ids.append(job_id)
        trips.append(trip)
        await wait_for(world.subscribers, [job_id], world.owner)
    report("  one by one", latencies_ms(world.subscribers, job_ids, world.owner), trips)


async def burst(
    args: argparse.Namespace, session: aiohttp.ClientSession, url: str, world: World
) -> None:
    gate = asyncio.Semaphore(args.concurrency)
    job_ids: list[str] = []
    trips: list[float] = []

    async def to_mentor(index: int) -> None:
        async with gate:
            job_id, trip = await ask(session, url, world.client, world.mentors[index][1])
        world.owner[job_id] = index
        job_ids.append(job_id)
        trips.append(trip)

    await asyncio.gather(*(to_mentor(index) for index in range(len(world.mentors))))
    await wait_for(world.subscribers, job_ids, world.owner)
    report("  burst     ", latencies_ms(world.subscribers, job_ids, world.owner), trips)


async def measure(args: argparse.Namespace, holding: str, other: str, world: World) -> None:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        ws_url = holding.replace("http://", "ws://")
        for start in range(0, len(world.mentors), 50):  # open them 50 at a time
            batch = world.mentors[start : start + 50]
            world.subscribers += await asyncio.gather(
                *(Subscriber.open(session, ws_url, token) for token, _ in batch)
            )
        readers = [asyncio.create_task(s.read()) for s in world.subscribers]
        await asyncio.sleep(3)  # every subscription reads where it starts from
        opened = time.perf_counter() - started
        print(f"{len(world.subscribers)} subscriptions open on one process in {opened:.1f}s")
        try:
            for label, url in (("the same process", holding), ("another process", other)):
                print(f"mutations sent to {label}:")
                await one_by_one(args, session, url, world)
                await burst(args, session, url, world)
        finally:
            for reader in readers:
                reader.cancel()
            for subscriber in world.subscribers:
                await subscriber.socket.close()


async def run(args: argparse.Namespace) -> None:
    async with deployment() as deployed:
        client, mentors = await seed(deployed.database_url, args.subscribers)
        holding, other = [await deployed.serve() for _ in range(2)]
        await measure(args, holding, other, World(client, mentors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

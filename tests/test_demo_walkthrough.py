"""The README's payment walkthrough, sent as written to what `python3 dev.py serve --demo` runs
(`mentor-api seed-demo`, then `mentor-api serve --stripe-standin`), in processes of their own on
a fresh embedded default: payouts, a job requested, accepted, paid with a test card on the
Stripe stand-in's checkout page, delivered, completed and reviewed."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from app.cli import main; main(sys.argv[1:])"
WALKTHROUGH = re.compile(r"<!-- walkthrough:[^>]*-->(.*?)<!-- /walkthrough -->", re.DOTALL)
STEP = re.compile(r"```graphql\n# (mentor|client)\n(.*?)```", re.DOTALL)
# What each step's answer must say, by its root field (the values a newcomer reads off).
EXPECTED: dict[str, dict[str, Any]] = {
    "me": {"payoutStatus": "READY"},
    "acceptJob": {
        "job": {"status": "ACCEPTED", "price": {"amountCents": 9000, "currency": "EUR"}},
        "errors": [],
    },
    "deliverJob": {"job": {"status": "DELIVERED"}, "errors": []},
    "completeJob": {"job": {"status": "COMPLETED"}, "errors": []},
    "writeTestimonial": {
        "testimonial": {"rating": 5, "text": "Clear, patient and quick."},
        "errors": [],
    },
}
# Variables the server answers and the README asks the reader to fill in.
FILLED_FROM = {"mentors": "MENTOR_ID", "requestJob": "JOB_ID"}
# Settings of the machine the suite runs on that the embedded default must not see.
NOT_THE_EMBEDDED_DEFAULT = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MENTOR_ENV", "PUBLIC_URL")


def walkthrough() -> list[tuple[str, str]]:
    """(who sends it, the operation) for each block of the README's walkthrough, in order."""
    found = WALKTHROUGH.search((ROOT / "README.md").read_text())
    assert found, "the README has no walkthrough section"
    return STEP.findall(found.group(1))


def two_free_ports() -> int:
    """A port whose next one is free too: the API's, then the Stripe stand-in's."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port


@dataclass
class DemoServer:
    url: str
    port: int
    data_dir: Path
    log: Path


def _environment(data_dir: Path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in NOT_THE_EMBEDDED_DEFAULT}
    return {**inherited, "MENTOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the demo server did not start:\n{log.read_text()}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    data_dir = tmp_path_factory.mktemp("demo")
    env = _environment(data_dir)
    seeded = subprocess.run(
        [sys.executable, "-c", CLI, "seed-demo"],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    port = two_free_ports()
    log = data_dir / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", CLI, "serve", "--port", str(port), "--stripe-standin"],
            env=env,
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield DemoServer(url=url, port=port, data_dir=data_dir, log=log)
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _send(
    session: aiohttp.ClientSession, demo: DemoServer, operation: str, token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(
        f"{demo.url}/graphql", json={"query": operation}, headers=headers
    ) as response:
        body: dict[str, Any] = await response.json(content_type=None)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _finish_onboarding(session: aiohttp.ClientSession, demo: DemoServer, url: str) -> None:
    """What the mentor does in the browser: open Stripe's link, press the button."""
    assert url.startswith(f"http://127.0.0.1:{demo.port + 1}/connect/onboarding/")
    async with session.get(url) as page:
        assert page.status == 200 and "Finish onboarding" in await page.text()
    async with session.post(url) as back:
        assert back.status == 200
        assert str(back.url) == f"{demo.url}/app/payouts?done=1"


async def _pay_with_the_test_card(
    session: aiohttp.ClientSession, demo: DemoServer, client_secret: str
) -> None:
    """What the client does in the browser: the README's checkout page, the 4242 card."""
    checkout = f"http://127.0.0.1:{demo.port + 1}/checkout/{client_secret}"
    async with session.get(checkout) as page:
        assert page.status == 200 and "4242 4242 4242 4242" in await page.text()
    async with session.post(checkout, data={"payment_method": "pm_card_visa"}) as paid:
        assert paid.status == 200 and "Payment succeeded" in await paid.text()


async def test_the_readme_walkthrough_pays_a_job_on_the_embedded_default(demo: DemoServer) -> None:
    tokens: dict[str, str] = {}
    filled: dict[str, str] = {}
    answered: list[str] = []
    async with aiohttp.ClientSession() as session:
        for who, written in walkthrough():
            operation = written
            for placeholder, value in filled.items():
                operation = operation.replace(placeholder, value)
            data = await _send(session, demo, operation, tokens.get(who))
            [(field, answer)] = data.items()
            answered.append(field)
            if field in EXPECTED:
                assert answer == EXPECTED[field]
            if field == "logIn":
                tokens[who] = answer["token"]
            elif field == "startPayoutOnboarding":
                assert answer["errors"] == []
                await _finish_onboarding(session, demo, answer["url"])
            elif field == "mentors":
                [edge] = answer["edges"]
                assert edge["node"]["name"] == "Demo Mentor"
                filled[FILLED_FROM[field]] = edge["node"]["id"]
            elif field == "requestJob":
                assert (answer["job"]["status"], answer["errors"]) == ("REQUESTED", [])
                filled[FILLED_FROM[field]] = answer["job"]["id"]
            elif field == "startJobPayment":
                assert answer["errors"] == [] and answer["clientSecret"]
                await _pay_with_the_test_card(session, demo, answer["clientSecret"])
            elif field == "job":
                assert answer["status"] == "PAID" and answer["paidAt"]
    assert answered == [
        "logIn",
        "startPayoutOnboarding",
        "me",
        "logIn",
        "mentors",
        "requestJob",
        "acceptJob",
        "startJobPayment",
        "job",
        "deliverJob",
        "completeJob",
        "writeTestimonial",
    ]


def _mail_text(folder: Path, address: str) -> str:
    """The plain text of the mail to ``address`` the server's worker writes, soon after the
    answer (the walkthrough's notifications lie there too)."""
    for _ in range(300):
        for path in sorted(folder.glob("*.eml")):
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            if mail["To"] == address:
                return mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr,no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} was written to {folder}")


async def test_mail_links_carry_the_port_the_server_was_started_on(demo: DemoServer) -> None:
    sign_up = """mutation SignUp { signUp(input: {email: "newcomer@example.com",
      password: "a long and unusual passphrase", name: "New Comer"}) { errors { code } } }"""
    async with aiohttp.ClientSession() as session:
        assert await _send(session, demo, sign_up, None) == {"signUp": {"errors": []}}
        text = await asyncio.to_thread(_mail_text, demo.data_dir / "mail", "newcomer@example.com")
        [link] = [line for line in text.splitlines() if line.startswith("http")]
        assert link.startswith(f"http://127.0.0.1:{demo.port}/app/verify?token=")
        async with session.get(link) as page:
            assert page.status == 200 and page.content_type == "text/html"


def test_the_demo_server_starts_without_noise(demo: DemoServer) -> None:
    """What `python3 dev.py serve --demo` prints on start: where to go, and that Stripe is a
    stand-in; then only the access log."""
    lines = demo.log.read_text().splitlines()
    assert lines[0] == f"mentor-api serving GraphiQL at {demo.url}/graphql"
    assert lines[1].endswith(
        f"INFO mentor_api.stripe_standin LOCAL TEST STAND-IN for Stripe at "
        f"http://127.0.0.1:{demo.port + 1}: no money moves; test checkout at "
        f"http://127.0.0.1:{demo.port + 1}/checkout/<clientSecret>"
    )
    noise = [line for line in lines if re.search(r"WARNING|DEBUG|Traceback|Error", line)]
    assert noise == []


def test_the_stripe_standin_refuses_production(tmp_path: Path) -> None:
    env = {**_environment(tmp_path), "MENTOR_ENV": "production", "SECRET_KEY": "a-real-secret"}
    refused = subprocess.run(
        [sys.executable, "-c", CLI, "serve", "--stripe-standin"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (refused.returncode, refused.stderr) == (
        2,
        "mentor-api: the local Stripe stand-in runs in development only (MENTOR_ENV=development)\n",
    )

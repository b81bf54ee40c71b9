"""Partner apps across processes: the command line makes an app whose key the server takes,
and a key revoked in one server process is refused by another on its very next request.

Every write here is made by a process of its own (the command line, a served instance) and
read by the others: what one process changes, every other one sees at once."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.settings import Settings
from models.audit import AuditAction, AuditEntry
from models.partner_apps import PartnerKey
from tests.partner_apps.helpers import MENTORS, codes
from tests.support.documents import document
from tests.support.graphql import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
CLI = ("-c", "import sys; from app.cli import main; main(sys.argv[1:])")
REVOKE_APP = document("RevokePartnerApp")
PARTNER_APPS = "query Apps { partnerApps(first: 10) { edges { node { id name } } } }"
STAFF_EMAIL = "partners@example.com"
STAFF_PASSWORD = "violet kangaroos whistle at dawn"


def _environment(settings: Settings, data_dir: Path) -> dict[str, str]:
    """What another process of the same deployment reads: same database, Redis and secret."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMTP_URL")}
    env.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        MENTOR_DATA_DIR=str(data_dir),
        MENTOR_ENV="development",
        MENTOR_STAFF_PASSWORD=STAFF_PASSWORD,
        COOKIE_SECURE="0",
        PYTHONPATH=str(ROOT),
    )
    if settings.redis_url:
        env.update(REDIS_URL=settings.redis_url, REDIS_KEY_PREFIX=settings.redis_key_prefix)
    return env


async def _command(settings: Settings, data_dir: Path, *args: str) -> list[str]:
    """Run `mentor-api …` in a process of its own; its output lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *CLI,
        *args,
        env=_environment(settings, data_dir),
        cwd=data_dir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    return out.decode().splitlines()


async def _create_partner(settings: Settings, data_dir: Path, name: str) -> str:
    lines = await _command(
        settings, data_dir, "create-partner", name, "--scopes", "marketplace:read"
    )
    assert lines[0] == f"partner app {name!r} may use marketplace:read"
    return lines[-1]


async def test_create_partner_prints_a_key_once_that_the_api_takes(
    settings: Settings, graphql: GraphQLClient, tmp_path: Path
) -> None:
    key = await _create_partner(settings, tmp_path, "Shell Made")
    assert key.startswith("mpk_live_")

    assert "errors" not in await graphql(MENTORS, token=key)
    stored = await PartnerKey.all().values_list("key_hash", flat=True)
    assert len(stored) == 1 and stored[0] != key
    created = await AuditEntry.get(action=AuditAction.PARTNER_APP_CREATED)
    assert created.actor_id is None
    assert created.detail == {
        "partnerApp": created.partner_app_id,
        "scopes": ["marketplace:read"],
        "via": "create-partner",
    }


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
        return port


class ServedElsewhere:
    """Another server process on the same database, spoken to over loopback."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.session.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
        ) as response:
            body: dict[str, Any] = await response.json()
            return body

    async def log_in(self) -> str | None:
        """The staff token, when this server reads our database (another run's server could
        have taken the port between our probe and its bind)."""
        answer = await self(
            document("LogIn"),
            {"input": {"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "session": "TOKEN"}},
        )
        token = ((answer.get("data") or {}).get("logIn") or {}).get("token")
        return str(token) if token else None


async def _serve(
    settings: Settings, data_dir: Path, session: aiohttp.ClientSession
) -> tuple[asyncio.subprocess.Process, ServedElsewhere] | None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *CLI,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=_environment(settings, data_dir),
        cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    served = ServedElsewhere(f"http://127.0.0.1:{port}", session)
    for _ in range(600):
        if process.returncode is not None:
            return None
        try:
            token = await served.log_in()
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
            continue
        if token is not None and process.returncode is None:
            return process, served
        break
    process.terminate()
    await process.wait()
    return None


@pytest.fixture
async def two_processes(
    settings: Settings, http: Any, tmp_path: Path
) -> AsyncIterator[tuple[ServedElsewhere, ServedElsewhere]]:
    """Two more server processes; a staff member who manages partners exists for them."""
    await _command(
        settings, tmp_path, "create-staff", STAFF_EMAIL, "--permission", "MANAGE_PARTNERS"
    )
    running: list[tuple[asyncio.subprocess.Process, ServedElsewhere]] = []
    async with aiohttp.ClientSession() as session:
        try:
            for _ in range(2):
                for _ in range(3):
                    started = await _serve(settings, tmp_path, session)
                    if started is not None:
                        running.append(started)
                        break
                else:
                    raise AssertionError("a server process never answered as ours")
            yield running[0][1], running[1][1]
        finally:
            for process, _ in running:
                process.terminate()
                await process.wait()


async def test_a_key_revoked_in_one_process_is_refused_by_the_other_at_once(
    settings: Settings,
    tmp_path: Path,
    two_processes: tuple[ServedElsewhere, ServedElsewhere],
) -> None:
    first, second = two_processes
    revoked_in_first = await _create_partner(settings, tmp_path, "Revoked In First")
    revoked_in_second = await _create_partner(settings, tmp_path, "Revoked In Second")
    for key in (revoked_in_first, revoked_in_second):
        for served in (first, second):
            assert "errors" not in await served(MENTORS, token=key)
    staff = await first.log_in()
    assert staff is not None
    apps = (await first(PARTNER_APPS, token=staff))["data"]["partnerApps"]["edges"]
    app_ids = {edge["node"]["name"]: edge["node"]["id"] for edge in apps}

    revoked = await first(
        REVOKE_APP, {"input": {"appId": app_ids["Revoked In First"]}}, token=staff
    )
    assert revoked["data"]["revokePartnerApp"]["errors"] == []
    assert codes(await second(MENTORS, token=revoked_in_first)) == ["UNAUTHENTICATED"]
    assert "errors" not in await second(MENTORS, token=revoked_in_second)

    revoked = await second(
        REVOKE_APP, {"input": {"appId": app_ids["Revoked In Second"]}}, token=staff
    )
    assert revoked["data"]["revokePartnerApp"]["errors"] == []
    assert codes(await first(MENTORS, token=revoked_in_second)) == ["UNAUTHENTICATED"]

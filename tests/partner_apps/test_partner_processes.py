"""Partner apps across processes: the command line makes an app whose key the server takes,
and a key revoked in one server process is refused by another on its very next request."""

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
from tests.partner_apps.helpers import MENTORS, codes, create_partner_app, partner_manager
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.users import SignedIn, UserFactory

ROOT = Path(__file__).resolve().parents[2]
CLI = ("-c", "import sys; from app.cli import main; main(sys.argv[1:])")
REVOKE_APP = document("RevokePartnerApp")


def _environment(settings: Settings, data_dir: Path) -> dict[str, str]:
    """What another process of the same deployment reads: same database, Redis and secret."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SMTP_URL")}
    env.update(
        DATABASE_URL=settings.database_url,
        SECRET_KEY=settings.secret_key,
        MENTOR_DATA_DIR=str(data_dir),
        MENTOR_ENV="development",
        COOKIE_SECURE="0",
        PYTHONPATH=str(ROOT),
    )
    if settings.redis_url:
        env.update(REDIS_URL=settings.redis_url, REDIS_KEY_PREFIX=settings.redis_key_prefix)
    return env


async def test_create_partner_prints_a_key_once_that_the_api_takes(
    settings: Settings, graphql: GraphQLClient, tmp_path: Path
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *CLI,
        "create-partner",
        "Shell Made",
        "--scopes",
        "marketplace:read",
        env=_environment(settings, tmp_path),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert lines[0] == "partner app 'Shell Made' may use marketplace:read"
    key = lines[-1]
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
    """A second server process on the same database, spoken to over loopback."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.session = session

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str
    ) -> dict[str, Any]:
        async with self.session.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        ) as response:
            body: dict[str, Any] = await response.json()
            return body


async def _started(
    settings: Settings, data_dir: Path, session: aiohttp.ClientSession, probe: SignedIn
) -> tuple[asyncio.subprocess.Process, str] | None:
    """A second server on a free port, once it answers as one of ours: another run's server
    may take the port between our probe and its bind, so it proves it reads our database."""
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
            answer = await served("query Me { me { id } }", token=probe.token)
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
            continue
        if answer.get("data") == {"me": {"id": probe.global_id}} and process.returncode is None:
            return process, served.url
        break
    process.terminate()
    await process.wait()
    return None


@pytest.fixture
async def other_process(
    settings: Settings, http: Any, users: UserFactory, tmp_path: Path
) -> AsyncIterator[ServedElsewhere]:
    probe = await users.create("Probe")
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            started = await _started(settings, tmp_path, session, probe)
            if started is not None:
                break
        else:
            raise AssertionError("the second server process never answered as ours")
        process, url = started
        try:
            yield ServedElsewhere(url, session)
        finally:
            process.terminate()
            await process.wait()


async def _app(graphql: GraphQLClient, staff: SignedIn, name: str) -> tuple[str, str]:
    created = await create_partner_app(graphql, staff, name, ["MARKETPLACE_READ"])
    return created["partnerApp"]["id"], created["key"]


async def test_a_key_revoked_in_one_process_is_refused_by_another_at_once(
    graphql: GraphQLClient, users: UserFactory, other_process: ServedElsewhere
) -> None:
    staff = await partner_manager(users)
    here_id, revoked_here = await _app(graphql, staff, "Revoked Here")
    there_id, revoked_there = await _app(graphql, staff, "Revoked There")
    for key in (revoked_here, revoked_there):
        assert "errors" not in await graphql(MENTORS, token=key)
        assert "errors" not in await other_process(MENTORS, token=key)

    await graphql.data(REVOKE_APP, {"input": {"appId": here_id}}, token=staff.token)
    assert codes(await other_process(MENTORS, token=revoked_here)) == ["UNAUTHENTICATED"]

    revoked = await other_process(REVOKE_APP, {"input": {"appId": there_id}}, token=staff.token)
    assert revoked["data"]["revokePartnerApp"]["errors"] == []
    assert codes(await graphql(MENTORS, token=revoked_there)) == ["UNAUTHENTICATED"]

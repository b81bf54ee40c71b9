"""Marketing staff, people who chose (or refused) marketing and sharing, settings a test may
change for its own duration, and an advertising partner's endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from core.runtime import Runtime
from models.accounts import StaffPermission
from tests.support.users import SignedIn, UserFactory


@pytest.fixture
async def marketer(users: UserFactory) -> SignedIn:
    return await users.create("Mara Marketing", staff=[StaffPermission.MANAGE_MARKETING])


@pytest.fixture
def configure(runtime: Runtime) -> Iterator[Callable[..., None]]:
    """Change the running app's settings for this test only."""
    original = runtime.settings

    def change(**changes: Any) -> None:
        runtime.settings = original.with_overrides(**changes)

    yield change
    runtime.settings = original


@dataclass
class PartnerEndpoint:
    """An advertising partner's API: keeps every JSON body it accepts; ``answer`` makes it
    fail (an HTTP status) and ``delay`` makes it slow."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    answer: int = 200
    delay: float = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.answer != 200:
            return web.json_response({"error": "unavailable"}, status=self.answer)
        self.received.append(await request.json())
        return web.json_response({"accepted": True})

    @property
    def people(self) -> list[dict[str, str]]:
        return [person for body in self.received for person in body["people"]]


@pytest.fixture
async def partner_endpoint() -> AsyncIterator[PartnerEndpoint]:
    endpoint = PartnerEndpoint()
    app = web.Application()
    app.router.add_post("/audiences", endpoint.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    endpoint.url = str(server.make_url("/audiences"))
    yield endpoint
    await server.close()

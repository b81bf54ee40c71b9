"""A real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, for third-party login
tests, and a browserless way through its authorization form."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import oidc_provider_mock
from werkzeug.serving import make_server


@dataclass
class OidcProvider:
    issuer: str

    async def set_user(self, sub: str, claims: dict[str, Any]) -> None:
        url = f"{self.issuer}/users/{sub}"
        async with aiohttp.ClientSession() as session, session.put(url, json=claims) as response:
            assert response.status == 204, await response.text()

    async def authorize(self, authorization_url: str, sub: str) -> str:
        """Submit the provider's form as ``sub``; return where it sends the browser back."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(authorization_url, data={"sub": sub}, allow_redirects=False) as response,
        ):
            assert response.status == 302, await response.text()
            return response.headers["Location"]


@contextmanager
def running_oidc_provider() -> Iterator[OidcProvider]:
    server = make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield OidcProvider(issuer=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()

"""The server-side session of a third-party login under way, found by a random cookie.

Our sessions are bearer or cookie tokens of a signed-in account; the library needs somewhere
to keep the state, nonce and PKCE verifier between leaving for the provider and coming back,
bound to that one browser. A random key in an HttpOnly cookie names a ``SocialFlow`` row
(only the key's SHA-256 is stored); a callback from any other browser finds nothing, so a
code and state made in the attacker's browser cannot be completed in the victim's.
"""

from __future__ import annotations

from typing import Any

from core import clock, limits
from core.errors import RateLimited
from core.runtime import Budget, Runtime
from core.settings import Settings
from models.social import SocialAssociation, SocialFlow, SocialNonce
from services.client import ClientInfo
from services.tokens import new_token, token_digest


async def start(runtime: Runtime, client: ClientInfo) -> tuple[str, SocialFlow]:
    """A new flow and its cookie's key, within the network's budget of them; flows, nonces
    and associations past their lifetime go first (they are refused anyway, and nothing else
    removes them)."""
    settings = runtime.settings
    budget = Budget(limits.MAX_SOCIAL_LOGINS_PER_IP, settings.throttle_window)
    wait = await runtime.throttle.take(f"social:ip:{client.ip_prefix or 'unknown'}", budget)
    if wait:
        raise RateLimited(wait)
    await _sweep(settings)
    raw = new_token()
    flow = await SocialFlow.create(
        key_hash=token_digest(raw), data={}, expires_at=clock.now() + settings.social_flow_lifetime
    )
    return raw, flow


async def _sweep(settings: Settings) -> None:
    now = clock.now()
    await SocialFlow.filter(expires_at__lte=now).delete()
    oldest = int((now - settings.social_flow_lifetime).timestamp())
    await SocialNonce.filter(timestamp__lt=oldest).delete()
    await SocialAssociation.filter(issued__lt=oldest).delete()


async def take(raw: str | None) -> dict[str, Any]:
    """The session of this browser's live flow, which ends here: one completion a flow."""
    if not raw:
        return {}
    flow = await SocialFlow.get_or_none(key_hash=token_digest(raw), expires_at__gt=clock.now())
    if flow is None:
        return {}
    if not await SocialFlow.filter(id=flow.id).delete():
        return {}  # a second callback racing the first
    return dict(flow.data)


async def save(flow: SocialFlow, data: dict[str, Any]) -> None:
    flow.data = data
    await flow.save(update_fields=["data"])

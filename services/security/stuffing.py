"""Credential stuffing: one network failing to log in to many different accounts.

Each failed log-in is tallied under its network (the /24 or /48 already kept) with the account
it named, in the runtime's throttle store: Redis when configured, so every server process
adds to one count. Once the different accounts one network failed on within
``stuffing_window`` reach ``stuffing_accounts``, a CREDENTIAL_STUFFING event is raised, once
per network per window: the first attempt past the threshold claims the window, in the same
store. Many failures on one account are its own throttle's business, not stuffing. The tally
holds digests of the addresses, and the event only how many there were.
"""

from __future__ import annotations

import logging

from core.runtime import Budget, Runtime, ThrottleUnavailable
from models.security import SecurityEvent, SecurityEventKind
from services.client import ClientInfo
from services.security import events
from services.tokens import token_digest

logger = logging.getLogger("mentor_api.security")


async def note_failed_log_in(
    runtime: Runtime, *, email: str, client: ClientInfo
) -> SecurityEvent | None:
    """Count a failed log-in on ``email`` against its network; the event, if this raised one."""
    network = client.ip_prefix
    if network is None:
        return None  # no network to name, and callers without one must not share a count
    settings = runtime.settings
    window = settings.stuffing_window
    try:
        tally = await runtime.throttle.tally(f"stuffing:{network}", token_digest(email), window)
        if tally.count < settings.stuffing_accounts:
            return None
        if await runtime.throttle.take(f"stuffing:raised:{network}", Budget(1, window)):
            return None  # raised already in this window
    except ThrottleUnavailable:
        # The failure is in the audit log all the same; the log-in guard refuses meanwhile.
        logger.warning("credential stuffing tally unavailable")
        return None
    return await events.raise_event(
        SecurityEventKind.CREDENTIAL_STUFFING,
        network=network,
        window_start=tally.since,
        account_count=tally.count,
        client=client,
    )

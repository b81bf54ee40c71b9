"""Anonymous visitors: a browser without an account, known by an opaque cookie, so that its
choices (consents, remembered preferences) are kept and become the account's on sign-up or
log-in. Only a SHA-256 of the cookie's token is stored."""

from __future__ import annotations

import logging

from core import limits
from core.errors import RateLimited
from core.runtime import Budget, Runtime, ThrottleUnavailable
from models.audit import AuditAction
from models.privacy import ConsentPurpose, ConsentRecord, ConsentSource, Visitor
from services import audit
from services.client import ClientInfo
from services.privacy import consents
from services.tokens import new_token, token_digest
from services.transactions import transaction

logger = logging.getLogger("mentor_api.privacy")


async def visitor_for(token: str) -> Visitor | None:
    return await Visitor.get_or_none(token_hash=token_digest(token))


async def start_visit(runtime: Runtime, client: ClientInfo) -> tuple[str, Visitor]:
    """A new visitor and the token its cookie carries; throttled per network, since anyone
    may start one."""
    budget = Budget(limits.MAX_NEW_VISITORS_PER_IP, runtime.settings.throttle_window)
    key = f"visitor:ip:{client.ip_prefix or 'unknown'}"
    try:
        wait = await runtime.throttle.take(key, budget)
    except ThrottleUnavailable:
        # The database is the truth: a visitor's choice is kept while Redis is away.
        logger.warning("visitor throttle unavailable; letting the visit start")
        wait = 0
    if wait:
        raise RateLimited(wait)
    token = new_token()
    return token, await Visitor.create(token_hash=token_digest(token))


async def attach(visitor: Visitor, user_id: int) -> None:
    """The visitor signed up or logged in: its choices join the account's ledger, where the
    newer choice per purpose wins and the history keeps both."""
    async with transaction():
        joining = ConsentRecord.filter(visitor_id=visitor.id, user_id__isnull=True)
        for purpose, granted, source in await joining.order_by("decided_at", "id").values_list(
            "purpose", "granted", "source"
        ):
            await audit.record(
                AuditAction.CONSENT_CHANGED,
                actor_id=user_id,
                subject_id=user_id,
                detail={
                    **consents.change_detail(
                        ConsentPurpose(purpose), granted, ConsentSource(source)
                    ),
                    "from_visitor": True,
                },
            )
        await joining.update(user_id=user_id)
        await Visitor.filter(id=visitor.id).update(user_id=user_id)
    visitor.user_id = user_id

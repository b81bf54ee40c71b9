"""Who may be reached for a purpose, read from the consent ledger in bulk for background work
(a campaign's audience, the people shared with advertising partners).

The rule is the ledger's own (``consents.allows`` with ``gpc=False``): the newest record for
the purpose decides, so a recorded GPC opt-out or a later withdrawal takes a person out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from models.accounts import User
from models.privacy import ConsentPurpose, ConsentRecord


@dataclass(frozen=True)
class Consenting:
    """An active person with a verified address whose choice in force grants the purpose."""

    user: User
    granted_at: datetime


async def _grants_in_force(purpose: ConsentPurpose, user_ids: list[int]) -> dict[int, datetime]:
    """The users among ``user_ids`` whose newest record for ``purpose`` is a grant."""
    newest: dict[int, tuple[bool, datetime]] = {}
    records = (
        ConsentRecord.filter(user_id__in=user_ids, purpose=purpose)
        .order_by("decided_at", "id")
        .values_list("user_id", "granted", "decided_at")
    )
    for user_id, granted, decided_at in await records:
        newest[user_id] = (granted, decided_at)
    return {user_id: at for user_id, (granted, at) in newest.items() if granted}


async def consenting(
    purpose: ConsentPurpose, *, batch_size: int
) -> AsyncIterator[list[Consenting]]:
    """Everyone who may be reached for ``purpose`` now, in batches of at most ``batch_size``
    in id order. It walks only the people who ever granted it, along the ledger's index that
    starts with the user, so each batch costs three short queries however large the ledger."""
    after_id = 0
    while True:
        granting = (
            ConsentRecord.filter(purpose=purpose, granted=True, user_id__gt=after_id)
            .order_by("user_id")
            .distinct()
            .limit(batch_size)
        )
        user_ids: list[int] = [row["user_id"] for row in await granting.values("user_id")]
        if not user_ids:
            return
        after_id = max(user_ids)
        granted = await _grants_in_force(purpose, user_ids)
        reachable = await User.filter(
            id__in=list(granted), is_active=True, email_verified=True
        ).order_by("id")
        if reachable:
            yield [Consenting(user, granted[user.id]) for user in reachable]

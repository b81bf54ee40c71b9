"""Legal holds (P11): placed and released by LEGAL staff with a legal reference. A hold blocks
deletion and pauses a scheduled erasure and the purge until it is released."""

from __future__ import annotations

from core import clock
from core.errors import Conflict, NotFound
from models.accounts import User
from models.audit import AuditAction
from models.deletion import LegalHold
from services import audit
from services.client import ClientInfo
from services.transactions import transaction


async def place_hold(
    staff: User, user_id: int, *, reference: str, reason: str, client: ClientInfo
) -> LegalHold:
    if not await User.exists(id=user_id):
        raise NotFound("No such user.", field="userId")
    async with transaction():
        hold = await LegalHold.create(
            user_id=user_id,
            reference=reference,
            reason=reason,
            placed_by_id=staff.id,
            placed_at=clock.now(),
        )
        await audit.record(
            AuditAction.LEGAL_HOLD_PLACED,
            actor_id=staff.id,
            subject_id=user_id,
            detail={"hold_id": hold.id, "reference": reference},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return hold


async def release_hold(
    staff: User, hold_id: int, *, reference: str, client: ClientInfo
) -> LegalHold:
    async with transaction():
        hold = await LegalHold.filter(id=hold_id).select_for_update().first()
        if hold is None:
            raise NotFound("No such legal hold.", field="legalHoldId")
        if hold.released_at is not None:
            raise Conflict("This legal hold is already released.", field="legalHoldId")
        hold.released_at = clock.now()
        hold.released_by_id = staff.id
        hold.release_reference = reference
        await hold.save()
        await audit.record(
            AuditAction.LEGAL_HOLD_RELEASED,
            actor_id=staff.id,
            subject_id=hold.user_id,
            detail={"hold_id": hold.id, "reference": reference},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    return hold

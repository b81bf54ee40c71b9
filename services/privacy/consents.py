"""The consent ledger: every grant and withdrawal is a record, and the current choice is read
off the records, never stored beside them.

Policy: cookies "can be refused or limited" (P6), marketing and advertising partners only with
consent (P16, P18). Everything optional is off until granted; NECESSARY is always on. A request
carrying Global Privacy Control (``Sec-GPC: 1``) opts out of marketing and of sharing with
advertising partners, whatever the ledger says, and the opt-out is recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.queryset import QuerySet

from core import clock
from core.errors import BadUserInput, DomainError, ErrorCode
from models.audit import AuditAction
from models.privacy import (
    REMEMBERED_PREFERENCES,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    Visitor,
)
from services import audit
from services.access.decisions import Access
from services.privacy.policy import current_policy

P = ConsentPurpose
OPTIONAL = frozenset(purpose for purpose in P if purpose is not P.NECESSARY)
# The purposes Global Privacy Control opts out of: selling, sharing and targeting.
GPC_OPTS_OUT = frozenset({P.MARKETING_COOKIES, P.MARKETING_EMAIL, P.ADVERTISING_PARTNERS})


class ConsentConflict(DomainError):
    code = ErrorCode.CONSENT_CONFLICT


@dataclass(frozen=True)
class Subject:
    """Whose choices: an account, or a visitor without one."""

    user_id: int | None = None
    visitor_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.visitor_id is None):
            raise ValueError("a consent subject is an account or a visitor")

    def records(self) -> QuerySet[ConsentRecord]:
        if self.user_id is not None:
            return ConsentRecord.filter(user_id=self.user_id)
        return ConsentRecord.filter(visitor_id=self.visitor_id)


@dataclass(frozen=True)
class Choice:
    """The choice in force for one purpose, and how it was made."""

    purpose: ConsentPurpose
    granted: bool
    decided_at: datetime | None = None
    source: ConsentSource | None = None
    policy_version: str | None = None
    # Granted in the ledger, or not, but off for this request: the browser sends GPC.
    overridden_by_gpc: bool = False


async def _latest(subject: Subject) -> dict[ConsentPurpose, ConsentRecord]:
    latest: dict[ConsentPurpose, ConsentRecord] = {}
    for record in await subject.records().order_by("decided_at", "id").select_related("policy"):
        latest[record.purpose] = record
    return latest


def _choice(purpose: ConsentPurpose, record: ConsentRecord | None, *, gpc: bool) -> Choice:
    if purpose is P.NECESSARY:
        return Choice(purpose, granted=True)
    overridden = gpc and purpose in GPC_OPTS_OUT
    if record is None:
        return Choice(purpose, granted=False, overridden_by_gpc=overridden)
    return Choice(
        purpose,
        granted=record.granted and not overridden,
        decided_at=record.decided_at,
        source=record.source,
        policy_version=record.policy.version,
        overridden_by_gpc=overridden,
    )


async def choices(subject: Subject | None, *, gpc: bool) -> list[Choice]:
    """Every purpose's choice in force; a visitor nobody knows yet has the defaults."""
    latest = await _latest(subject) if subject is not None else {}
    return [_choice(purpose, latest.get(purpose), gpc=gpc) for purpose in P]


async def allows(subject: Subject | None, purpose: ConsentPurpose, *, gpc: bool) -> bool:
    if purpose is P.NECESSARY:
        return True
    if subject is None or (gpc and purpose in GPC_OPTS_OUT):
        return False
    latest = await subject.records().filter(purpose=purpose).order_by("-decided_at", "-id").first()
    return latest is not None and latest.granted


def change_detail(
    purpose: ConsentPurpose, granted: bool, source: ConsentSource
) -> dict[str, object]:
    """What the audit log keeps of a consent change: the choice, not who or what it names."""
    return {"purpose": purpose.value, "granted": granted, "source": source.value}


async def _record(
    subject: Subject, purpose: ConsentPurpose, granted: bool, source: ConsentSource
) -> ConsentRecord:
    """Write one choice to the ledger; an account's is audited too (a visitor is nobody we
    could name)."""
    record = await ConsentRecord.create(
        user_id=subject.user_id,
        visitor_id=subject.visitor_id,
        purpose=purpose,
        granted=granted,
        source=source,
        policy=await current_policy(),
        decided_at=clock.now(),
    )
    if subject.user_id is not None:
        await audit.record(
            AuditAction.CONSENT_CHANGED,
            actor_id=subject.user_id,
            subject_id=subject.user_id,
            detail=change_detail(purpose, granted, source),
        )
    return record


async def set_consent(
    subject: Subject, purpose: ConsentPurpose, granted: bool, *, source: ConsentSource, gpc: bool
) -> Choice:
    """Grant or withdraw, one call for both: withdrawing is exactly as easy as granting."""
    if purpose is P.NECESSARY:
        if not granted:
            raise BadUserInput(
                "Necessary cookies keep the service working and cannot be refused.",
                field="purpose",
            )
        return _choice(purpose, None, gpc=gpc)
    if granted and gpc and purpose in GPC_OPTS_OUT:
        raise ConsentConflict(
            f"Your browser sends Global Privacy Control, which opts out of {purpose.value}; "
            "it cannot be granted while the signal is on.",
            field="granted",
        )
    record = await _record(subject, purpose, granted, source)
    if purpose is P.PREFERENCES and not granted:
        await _forget_preferences(subject)
    await record.fetch_related("policy")
    return _choice(purpose, record, gpc=gpc)


async def _forget_preferences(subject: Subject) -> None:
    """Withdrawing PREFERENCES removes what it kept (the browser's remembered preferences)."""
    cleared = dict.fromkeys(REMEMBERED_PREFERENCES)
    if subject.user_id is not None:
        await Visitor.filter(user_id=subject.user_id).update(**cleared)
    else:
        await Visitor.filter(id=subject.visitor_id).update(**cleared)


async def grant_at_sign_up(subject: Subject, purposes: frozenset[ConsentPurpose]) -> None:
    for purpose in sorted(purposes & OPTIONAL):
        await _record(subject, purpose, True, ConsentSource.SIGN_UP)


async def honour_gpc(subject: Subject) -> int:
    """Record the browser's opt-out once: for each purpose it covers whose choice in force is
    not already a withdrawal. Answers how many records were written."""
    latest = await _latest(subject)
    written = 0
    for purpose in sorted(GPC_OPTS_OUT):
        record = latest.get(purpose)
        if record is None or record.granted:
            await _record(subject, purpose, False, ConsentSource.GPC)
            written += 1
    return written


async def withdraw_all(subject: Subject, source: ConsentSource) -> int:
    """Withdraw every optional purpose granted now (an account's deletion); answers how many."""
    latest = await _latest(subject)
    written = 0
    for purpose in sorted(OPTIONAL):
        record = latest.get(purpose)
        if record is not None and record.granted:
            await _record(subject, purpose, False, source)
            written += 1
            if purpose is P.PREFERENCES:
                await _forget_preferences(subject)
    return written


def history(access: Access, user_id: int) -> QuerySet[ConsentRecord]:
    """A user's records the viewer sees (their own), newest first: proof of each choice, its
    policy version and its source."""
    return access.visible(ConsentRecord).filter(user_id=user_id).order_by("-decided_at", "-id")

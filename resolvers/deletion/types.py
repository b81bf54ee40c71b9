"""GraphQL types of account deletion and legal holds."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.relay import to_base64

from models.accounts import User
from models.deletion import AccountDeletion, DeletionStatus, LegalHold
from resolvers.base import described_enum
from resolvers.context import Info
from resolvers.permissions import registry_field, rows_of
from services.deletion import requests
from services.deletion.blockers import Blocker, BlockerKind

_SAYS = {
    BlockerKind.PENDING_JOB: "A job is still open: complete, decline or cancel it first.",
    BlockerKind.PENDING_PAYMENT: "A payment is still being processed.",
    BlockerKind.OPEN_DISPUTE: "A payment is disputed and the dispute is not closed.",
    BlockerKind.UNSETTLED_REFUND: "A refund was asked for and Stripe has not settled it yet.",
    BlockerKind.LEGAL_HOLD: "A legal obligation requires the account's data to be kept.",
}
DeletionBlockerEnum = described_enum(
    BlockerKind,
    name="DeletionBlocker",
    description="What stops an account's deletion (or a mentor profile's closing) for now.",
    values=_SAYS,
)
DeletionStatusEnum = described_enum(
    DeletionStatus,
    name="AccountDeletionStatus",
    description="Where a deletion request stands, from the confirmation mail to the purge.",
    values={
        DeletionStatus.AWAITING_CONFIRMATION: "Asked for: the confirmation mail is out and "
        "nothing has changed yet.",
        DeletionStatus.SCHEDULED: "Confirmed: the account is deactivated and is erased when the "
        "grace period ends, unless cancelled with the mailed cancel token.",
        DeletionStatus.CANCELLED: "Kept: the request was cancelled and the account restored.",
        DeletionStatus.ERASED: "The personal data is gone; records the law requires are kept, "
        "under a pseudonym, until their purge.",
        DeletionStatus.PURGED: "The records kept for the law are gone too.",
    },
)


@strawberry.type(name="AccountDeletionBlocker", description="One reason deletion waits.")
class BlockerType:
    reason: DeletionBlockerEnum = strawberry.field(  # type: ignore[valid-type]
        description="What kind of reason, for a client to branch on."
    )
    message: str = strawberry.field(
        description="The reason in an English sentence, with what to do."
    )
    job_id: strawberry.ID | None = strawberry.field(description="The job it is about, if any.")
    payment_id: strawberry.ID | None = strawberry.field(
        description="The payment it is about, if any."
    )

    @classmethod
    def of(cls, blocker: Blocker) -> BlockerType:
        return cls(
            reason=blocker.kind,
            message=_SAYS[blocker.kind],
            job_id=strawberry.ID(to_base64("Job", blocker.job_id)) if blocker.job_id else None,
            payment_id=(
                strawberry.ID(to_base64("Payment", blocker.payment_id))
                if blocker.payment_id
                else None
            ),
        )


def blockers_of(found: list[Blocker]) -> list[BlockerType]:
    return [BlockerType.of(blocker) for blocker in found]


@strawberry.type(
    name="AccountDeletion",
    description="A request to delete the account: its status and when erasure happens.",
)
class DeletionType:
    status: DeletionStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="Where the request stands."
    )
    requested_at: datetime = strawberry.field(description="When deletion was asked for.")
    confirmed_at: datetime | None = strawberry.field(
        description="When the mailed token confirmed it; null until then."
    )
    scheduled_erasure_at: datetime | None = strawberry.field(
        description="When the personal data is erased; until then it can be cancelled."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When the account was kept with the cancel token; null unless cancelled."
    )

    @classmethod
    def of(cls, row: AccountDeletion) -> DeletionType:
        return cls(
            status=row.status,
            requested_at=row.requested_at,
            confirmed_at=row.confirmed_at,
            scheduled_erasure_at=row.scheduled_erasure_at,
            cancelled_at=row.cancelled_at,
        )


@strawberry.type(
    name="AccountDeletionState",
    description="Whether the account can be deleted now, and the latest request, if any.",
)
class DeletionStateType:
    blockers: list[BlockerType] = strawberry.field(
        description="Every reason deletion is refused now; empty when it can go ahead."
    )
    request: DeletionType | None = strawberry.field(description="The latest request.")


@strawberry.type(
    name="LegalHold",
    description="A hold the law places on a user's data (LEGAL staff): it blocks deletion and "
    "pauses erasure until released.",
)
class LegalHoldType:
    reference: str | None = registry_field(
        LegalHold, "reference", "The legal reference the hold was placed under."
    )
    reason: str | None = registry_field(LegalHold, "reason", "Why the hold was placed.")
    release_reference: str | None = registry_field(
        LegalHold, "release_reference", "The legal reference it was released under."
    )
    placed_at: datetime = strawberry.field(description="When the hold was placed.")
    released_at: datetime | None = strawberry.field(
        description="When it was released; null while it holds."
    )

    @strawberry.field(description="The hold's ID, for releaseLegalHold.")
    def id(self, root: LegalHold) -> strawberry.ID:
        return strawberry.ID(to_base64("LegalHold", root.id))


@strawberry.type
class UserDeletionFields:
    """Deletion fields of the User type, for that user alone."""

    @strawberry.field(
        description="What blocks deleting the account now, and the latest request.",
        extensions=[rows_of(AccountDeletion)],
    )
    async def account_deletion(self, root: User, info: Info) -> DeletionStateType | None:
        state = await requests.state_of(root.id)
        return DeletionStateType(
            blockers=blockers_of(state.blockers),
            request=DeletionType.of(state.deletion) if state.deletion else None,
        )

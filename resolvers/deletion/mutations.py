"""Deletion mutations: thin wrappers over ``services.deletion``."""

from __future__ import annotations

import strawberry
from strawberry import relay

from models.accounts import StaffPermission, User
from resolvers.base import SIGNED_IN, MutationError, Payload, mutation, staff
from resolvers.context import Info
from resolvers.deletion.types import BlockerType, DeletionType, LegalHoldType, blockers_of
from resolvers.ids import row_id
from services import mentors
from services.access.viewer import ANONYMOUS
from services.deletion import holds, requests
from services.deletion.blockers import DeletionBlocked

LEGAL = staff(StaffPermission.LEGAL)


@strawberry.type(
    description="What `requestAccountDeletion` answers: the request, or what blocks it."
)
class RequestAccountDeletionPayload(Payload):
    account_deletion: DeletionType | None = strawberry.field(
        default=None, description="The request, AWAITING_CONFIRMATION; null when refused."
    )
    blockers: list[BlockerType] = strawberry.field(
        default_factory=list, description="Why the request was refused, if it was."
    )


@strawberry.input(description="The confirmation token mailed after `requestAccountDeletion`.")
class ConfirmAccountDeletionInput:
    token: str = strawberry.field(description="The confirmation token of the mail.")


@strawberry.type(description="What `confirmAccountDeletion` answers: the request, now SCHEDULED.")
class ConfirmAccountDeletionPayload(Payload):
    account_deletion: DeletionType | None = strawberry.field(
        default=None, description="The request, SCHEDULED for erasure; null when refused."
    )
    blockers: list[BlockerType] = strawberry.field(
        default_factory=list, description="Why the confirmation was refused, if it was."
    )


@strawberry.input(description="The cancel token mailed with the confirmation.")
class CancelAccountDeletionInput:
    token: str = strawberry.field(description="The cancel token of the mail.")


@strawberry.type(description="What `cancelAccountDeletion` answers: the request, now CANCELLED.")
class CancelAccountDeletionPayload(Payload):
    account_deletion: DeletionType | None = strawberry.field(
        default=None, description="The request, CANCELLED; null when refused."
    )


@strawberry.type(description="What `closeMentorProfile` answers: empty, or what blocks closing.")
class CloseMentorProfilePayload(Payload):
    blockers: list[BlockerType] = strawberry.field(
        default_factory=list, description="Why closing was refused, if it was."
    )


@strawberry.input(description="Whose data to hold, under which legal reference.")
class PlaceLegalHoldInput:
    user_id: relay.GlobalID = strawberry.field(description="The user whose data is held.")
    reference: str = strawberry.field(description="The legal reference (case, order).")
    reason: str = strawberry.field(description="Why, for the record.")


@strawberry.type(description="What `placeLegalHold` answers: the hold placed.")
class PlaceLegalHoldPayload(Payload):
    legal_hold: LegalHoldType | None = strawberry.field(
        default=None, description="The hold now in force; null when `errors` says why not."
    )


@strawberry.input(description="The hold to release, under which legal reference.")
class ReleaseLegalHoldInput:
    legal_hold_id: relay.GlobalID = strawberry.field(description="The hold's `id`.")
    reference: str = strawberry.field(description="The legal reference of the release.")


@strawberry.type(description="What `releaseLegalHold` answers: the hold, released.")
class ReleaseLegalHoldPayload(Payload):
    legal_hold: LegalHoldType | None = strawberry.field(
        default=None, description="The released hold; null when `errors` says why not."
    )


def _refused(error: DeletionBlocked) -> tuple[list[BlockerType], list[MutationError]]:
    return blockers_of(error.blockers), [MutationError.of(error)]


@strawberry.type
class DeletionMutations:
    @mutation(
        description="Ask to delete the account: refused with the blockers while any "
        "remain; otherwise a confirmation token and a cancel token are mailed.",
        guard=SIGNED_IN,
    )
    async def request_account_deletion(
        self, info: Info, actor: User
    ) -> RequestAccountDeletionPayload:
        try:
            deletion = await requests.request_deletion(
                info.context.runtime, actor, info.context.client
            )
        except DeletionBlocked as error:
            blockers, errors = _refused(error)
            return RequestAccountDeletionPayload(blockers=blockers, errors=errors)
        return RequestAccountDeletionPayload(account_deletion=DeletionType.of(deletion))

    @mutation(
        description="Confirm the deletion with the mailed token: the account is deactivated at "
        "once and erased after the grace period. The same token again changes nothing."
    )
    async def confirm_account_deletion(
        self, info: Info, input: ConfirmAccountDeletionInput
    ) -> ConfirmAccountDeletionPayload:
        context = info.context
        try:
            deletion = await requests.confirm_deletion(context.runtime, input.token, context.client)
        except DeletionBlocked as error:
            blockers, errors = _refused(error)
            return ConfirmAccountDeletionPayload(blockers=blockers, errors=errors)
        if context.viewer.user_id == deletion.user_id:
            context.cookies.clear()
            context.replace_viewer(ANONYMOUS)
        return ConfirmAccountDeletionPayload(account_deletion=DeletionType.of(deletion))

    @mutation(
        description="Keep the account, with the cancel token mailed with the confirmation: "
        "within the grace period it is restored as it was."
    )
    async def cancel_account_deletion(
        self, info: Info, input: CancelAccountDeletionInput
    ) -> CancelAccountDeletionPayload:
        context = info.context
        deletion = await requests.cancel_deletion(context.runtime, input.token, context.client)
        return CancelAccountDeletionPayload(account_deletion=DeletionType.of(deletion))

    @mutation(
        description="Close your mentor profile: it leaves search and its page. Refused while "
        "a job with you as mentor is pending.",
        guard=SIGNED_IN,
    )
    async def close_mentor_profile(self, info: Info, actor: User) -> CloseMentorProfilePayload:
        try:
            await mentors.close_mentor_profile(actor, info.context.client)
        except DeletionBlocked as error:
            blockers, errors = _refused(error)
            return CloseMentorProfilePayload(blockers=blockers, errors=errors)
        return CloseMentorProfilePayload()

    @mutation(
        description="Place a legal hold on a user's data (staff, LEGAL): deletion is refused "
        "and a scheduled erasure waits until it is released. Audited with its reference.",
        guard=LEGAL,
    )
    async def place_legal_hold(
        self, info: Info, actor: User, input: PlaceLegalHoldInput
    ) -> PlaceLegalHoldPayload:
        hold = await holds.place_hold(
            actor,
            row_id(input.user_id, "User", field="userId"),
            reference=input.reference,
            reason=input.reason,
            client=info.context.client,
        )
        return PlaceLegalHoldPayload(legal_hold=hold)  # type: ignore[arg-type]

    @mutation(
        description="Release a legal hold (staff, LEGAL); audited with its reference.",
        guard=LEGAL,
    )
    async def release_legal_hold(
        self, info: Info, actor: User, input: ReleaseLegalHoldInput
    ) -> ReleaseLegalHoldPayload:
        hold = await holds.release_hold(
            actor,
            row_id(input.legal_hold_id, "LegalHold", field="legalHoldId"),
            reference=input.reference,
            client=info.context.client,
        )
        return ReleaseLegalHoldPayload(legal_hold=hold)  # type: ignore[arg-type]

"""Deleting one's account (P22 to P24): blockers first, then a mailed confirmation that
deactivates at once, a grace period that can be cancelled, and legal holds (P11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission, User
from models.audit import AuditAction, AuditEntry
from models.deletion import AccountDeletion, DeletionStatus
from models.privacy import ConsentPurpose, ConsentRecord, ConsentSource
from services.deletion import erasure
from services.privacy import archive, consents
from services.privacy.consents import Subject
from tests.deletion.helpers import (
    STATE,
    ask,
    asked,
    cancel,
    confirm,
    erase_after,
    log_in_codes,
)
from tests.marketplace.helpers import become_mentor, completed_job, request_job
from tests.privacy.test_data_export import rows, unzipped
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, UserFactory

GRACE = timedelta(days=30)
MENTOR = document("Mentor")
POSTS = document("Posts")
CREATE_POST = document("CreatePost")
PUBLISH_POST = document("PublishPost")
DECLINE = document("DeclineJob")
PLACE_HOLD = document("PlaceLegalHold")
RELEASE_HOLD = document("ReleaseLegalHold")
CLOSE = document("CloseMentorProfile")
MENTORS = document("Mentors")


async def _published_post(graphql: GraphQLClient, author_token: str, title: str) -> str:
    created = await graphql.data(
        CREATE_POST, {"input": {"title": title, "body": "b"}}, token=author_token
    )
    post_id: str = created["createPost"]["post"]["id"]
    await graphql.data(PUBLISH_POST, {"input": {"postId": post_id}}, token=author_token)
    return post_id


async def _titles(graphql: GraphQLClient) -> list[str]:
    found = (await graphql.data(POSTS))["posts"]["edges"]
    return [edge["node"]["title"] for edge in found]


@pytest.mark.promise("P24")
@pytest.mark.promise("P23")
async def test_refused_while_a_job_is_pending_then_deactivated_at_once_and_erased_after_grace(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    mentor = await users.create("Dora Departing")
    client = await users.create("Carl Client")
    mentor_id = await become_mentor(graphql, mentor)
    await _published_post(graphql, mentor.token, "Leaving soon")
    job_id = await request_job(graphql, client, mentor_id)

    refused = await ask(graphql, mentor)
    assert [error["code"] for error in refused["errors"]] == ["DELETION_BLOCKED"]
    assert refused["blockers"] == [
        {
            "reason": "PENDING_JOB",
            "message": refused["blockers"][0]["message"],
            "jobId": job_id,
            "paymentId": None,
        }
    ]
    state = await graphql.data(STATE, token=mentor.token)
    assert [b["reason"] for b in state["me"]["accountDeletion"]["blockers"]] == ["PENDING_JOB"]
    assert not [m for m in mailbox.to(mentor.user.email) if "deletion" in str(m["Subject"])]

    await graphql.data(DECLINE, {"input": {"jobId": job_id}}, token=mentor.token)
    confirm_token, _ = await asked(graphql, mailbox, mentor)
    confirmed = await confirm(graphql, confirm_token)
    assert confirmed["errors"] == []
    assert confirmed["accountDeletion"]["status"] == "SCHEDULED"

    # Deactivated at once: the session ends, log-in says why, nothing it published shows.
    assert (await graphql.data(STATE, token=mentor.token))["me"] is None
    assert await log_in_codes(graphql, mentor.user.email, PASSWORD) == [
        "ACCOUNT_SCHEDULED_FOR_ERASURE"
    ]
    assert await log_in_codes(graphql, mentor.user.email, "wrong password 123") == [
        "INVALID_CREDENTIALS"
    ]
    assert (await graphql.data(MENTOR, {"id": mentor_id}))["mentor"] is None
    assert await _titles(graphql) == []
    await mailbox.wait_for(mentor.user.email, "scheduled for erasure")

    # Not before the grace period has passed; then the account is erased.
    assert await erase_after(runtime, GRACE - timedelta(days=1)) == 0
    assert await erase_after(runtime, GRACE) == 1
    erased = await User.get(id=mentor.user.id)
    assert (erased.email.startswith("erased:"), erased.name, erased.password_hash) == (
        True,
        "",
        None,
    )
    deletion = await AccountDeletion.get(user_id=mentor.user.id)
    assert deletion.status is DeletionStatus.ERASED


@pytest.mark.promise("P22")
async def test_cancelling_inside_the_grace_period_restores_the_account_as_it_was(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    mentor = await users.create("Rita Returning")
    mentor_id = await become_mentor(graphql, mentor)
    await _published_post(graphql, mentor.token, "Still here")
    subject = Subject(user_id=mentor.user.id)
    await consents.set_consent(
        subject, ConsentPurpose.MARKETING_EMAIL, True, source=ConsentSource.WEB, gpc=False
    )
    confirm_token, cancel_token = await asked(graphql, mailbox, mentor)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await _titles(graphql) == []
    assert not await consents.allows(subject, ConsentPurpose.MARKETING_EMAIL, gpc=False)
    withdrawn = await ConsentRecord.filter(user_id=mentor.user.id).order_by("-id").first()
    assert withdrawn is not None and withdrawn.source is ConsentSource.DELETION

    with clock.moved_clock(GRACE - timedelta(days=1)):
        cancelled = await cancel(graphql, cancel_token)
    assert cancelled["errors"] == []
    assert cancelled["accountDeletion"]["status"] == "CANCELLED"
    assert await log_in_codes(graphql, mentor.user.email, PASSWORD) == []
    assert (await graphql.data(MENTOR, {"id": mentor_id}))["mentor"] is not None
    assert await _titles(graphql) == ["Still here"]
    # Consents stay withdrawn until the person grants them again.
    assert not await consents.allows(subject, ConsentPurpose.MARKETING_EMAIL, gpc=False)
    # Nothing is erased later, and the used tokens do nothing more.
    assert await erase_after(runtime, GRACE) == 0
    assert (await cancel(graphql, cancel_token))["errors"][0]["code"] == "INVALID_TOKEN"
    assert (await confirm(graphql, confirm_token))["errors"][0]["code"] == "INVALID_TOKEN"


async def test_wrong_expired_and_repeated_tokens_change_nothing(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox
) -> None:
    leaving = await users.create("Lou Leaving")
    other = await users.create("Otto Other")
    confirm_token, cancel_token = await asked(graphql, mailbox, leaving)
    assert (await confirm(graphql, "not-a-token"))["errors"][0]["code"] == "INVALID_TOKEN"
    assert (await confirm(graphql, cancel_token))["errors"][0]["code"] == "INVALID_TOKEN"
    with clock.moved_clock(timedelta(days=2)):  # past the confirmation token's lifetime
        assert (await confirm(graphql, confirm_token))["errors"][0]["code"] == "INVALID_TOKEN"
    assert (await User.get(id=leaving.user.id)).is_active
    assert await log_in_codes(graphql, other.user.email, PASSWORD) == []

    mailbox.clear()
    confirm_token, _ = await asked(graphql, mailbox, leaving)  # asking again: fresh tokens
    first = await confirm(graphql, confirm_token)
    second = await confirm(graphql, confirm_token)
    assert first["errors"] == second["errors"] == []
    assert first["accountDeletion"] == second["accountDeletion"]
    assert await AccountDeletion.filter(user_id=leaving.user.id).count() == 1
    assert await AuditEntry.filter(action=AuditAction.DELETION_CONFIRMED).count() == 1


@pytest.mark.promise("P11")
async def test_a_legal_hold_blocks_deletion_and_pauses_erasure_until_released(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    person = await users.create("Hal Held")
    legal = await users.create("Lee Legal", staff=[StaffPermission.LEGAL])
    stranger = await users.create("Sam Stranger")
    confirm_token, _ = await asked(graphql, mailbox, person)
    assert (await confirm(graphql, confirm_token))["errors"] == []

    hold_input = {"userId": person.global_id, "reference": "Case 42/2026", "reason": "Order"}
    refused = await graphql(PLACE_HOLD, {"input": hold_input}, token=stranger.token)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    placed = (await graphql.data(PLACE_HOLD, {"input": hold_input}, token=legal.token))[
        "placeLegalHold"
    ]
    assert placed["errors"] == []
    assert placed["legalHold"]["reference"] == "Case 42/2026"

    assert await erase_after(runtime, GRACE) == 0  # paused
    assert (await User.get(id=person.user.id)).email == person.user.email

    release = {"legalHoldId": placed["legalHold"]["id"], "reference": "Case 42/2026 closed"}
    released = await graphql.data(RELEASE_HOLD, {"input": release}, token=legal.token)
    assert released["releaseLegalHold"]["errors"] == []
    assert await erase_after(runtime, GRACE) == 1
    audited = await AuditEntry.filter(
        action__in=[AuditAction.LEGAL_HOLD_PLACED, AuditAction.LEGAL_HOLD_RELEASED]
    ).order_by("id")
    assert [(row.actor_id, row.subject_id, row.detail["reference"]) for row in audited] == [
        (legal.user.id, person.user.id, "Case 42/2026"),
        (legal.user.id, person.user.id, "Case 42/2026 closed"),
    ]


@pytest.mark.promise("P11")
async def test_a_held_account_cannot_ask_for_deletion(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    person = await users.create("Hana Held")
    legal = await users.create("Lee Legal", staff=[StaffPermission.LEGAL])
    hold_input = {"userId": person.global_id, "reference": "Case 7", "reason": "Order"}
    await graphql.data(PLACE_HOLD, {"input": hold_input}, token=legal.token)
    refused = await ask(graphql, person)
    assert [b["reason"] for b in refused["blockers"]] == ["LEGAL_HOLD"]
    assert refused["blockers"][0]["jobId"] is None


@pytest.mark.promise("P11")
async def test_a_held_persons_own_export_does_not_carry_the_holds_reference(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime
) -> None:
    """The hold's audit rows are the law's record: the person learns only that a hold blocks
    their deletion, never its reference, not even from their copy of their data."""
    person = await users.create("Hugo Held")
    legal = await users.create("Lee Legal", staff=[StaffPermission.LEGAL])
    hold_input = {"userId": person.global_id, "reference": "Case 9/2026", "reason": "Order"}
    await graphql.data(PLACE_HOLD, {"input": hold_input}, token=legal.token)
    assert await AuditEntry.filter(action=AuditAction.LEGAL_HOLD_PLACED).count() == 1

    cover = archive.export_cover(person.user.id, clock.now())
    data, opened = unzipped(await archive.build(person.user, runtime.files, cover))
    actions = {row["action"] for row in rows(data, "AuditEntry")}
    assert actions and not {a for a in actions if a.startswith("LEGAL_HOLD")}
    assert "Case 9/2026" not in opened.read("data.json").decode()


@pytest.mark.promise("P23")
async def test_an_erased_staff_member_holds_no_staff_permission(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    leaving = await users.create("Stan Leaving", staff=[StaffPermission.SECURITY])
    confirm_token, _ = await asked(graphql, mailbox, leaving)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, GRACE) == 1
    assert (await User.get(id=leaving.user.id)).staff_permissions == []


@pytest.mark.promise("P22")
async def test_closing_a_mentor_profile_waits_for_pending_jobs_then_leaves_search(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    mentor = await users.create("Max Closing")
    client = await users.create("Cleo Client")
    mentor_id = await become_mentor(graphql, mentor)
    job_id = await request_job(graphql, client, mentor_id)
    refused = (await graphql.data(CLOSE, token=mentor.token))["closeMentorProfile"]
    assert refused["blockers"] == [{"reason": "PENDING_JOB", "jobId": job_id}]
    assert (await graphql.data(MENTOR, {"id": mentor_id}))["mentor"] is not None

    await graphql.data(DECLINE, {"input": {"jobId": job_id}}, token=mentor.token)
    closed = (await graphql.data(CLOSE, token=mentor.token))["closeMentorProfile"]
    assert closed == {"blockers": [], "errors": []}
    assert (await graphql.data(MENTOR, {"id": mentor_id}))["mentor"] is None
    assert (await graphql.data(MENTORS))["mentors"]["edges"] == []


async def test_an_erasure_stopped_between_steps_resumes_and_a_second_run_changes_nothing(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    mentor = await users.create("Cora Crash")
    client = await users.create("Carl Client")
    mentor_id = await become_mentor(graphql, mentor)
    await completed_job(graphql, client, mentor, mentor_id)
    await _published_post(graphql, mentor.token, "Half")
    confirm_token, _ = await asked(graphql, mailbox, mentor)
    await confirm(graphql, confirm_token)
    deletion = await AccountDeletion.get(user_id=mentor.user.id)

    class Crash(Exception):
        pass

    async def crash_after_posts(step: str) -> None:
        if step == "rows:Post":
            raise Crash

    with clock.moved_clock(GRACE + timedelta(days=1)), pytest.raises(Crash):
        await erasure.erase(runtime, deletion, after_step=crash_after_posts)
    deletion = await AccountDeletion.get(id=deletion.id)
    assert "rows:Post" in deletion.steps_done and deletion.status is DeletionStatus.SCHEDULED
    assert (await User.get(id=mentor.user.id)).email == mentor.user.email  # not yet

    assert await erase_after(runtime, GRACE) == 1
    after_first = await User.get(id=mentor.user.id)
    assert after_first.email.startswith("erased:")
    await erasure.erase(runtime, await AccountDeletion.get(id=deletion.id))
    assert (await User.get(id=mentor.user.id)).email == after_first.email
    assert await AuditEntry.filter(action=AuditAction.ACCOUNT_ERASED).count() == 1

"""Versions of the privacy policy (P25): "the Privacy Policy may be updated as required ... the
users are requested to review this page for any updates".

Staff publish versions that never change; everyone reads the one in force and the history; a
material version is announced to every active user, once each, and asks them to review it
until they accept it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.cli import SCHEMA_PATH
from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission, User
from models.audit import AuditAction, AuditEntry
from models.notifications import Notification, NotificationKind
from models.outbox import OutboxEmail
from models.privacy import PolicyAcceptance, PolicyAnnouncement, PrivacyPolicy
from services.privacy import archive, policy_notices
from tests.deletion.helpers import asked, confirm, erase_after
from tests.privacy.test_data_export import rows, unzipped
from tests.support.backends import Backend, fresh_database
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P25")

PUBLISH = document("PublishPrivacyPolicy")
ACCEPT = document("AcceptPrivacyPolicy")
REVIEW = document("PrivacyPolicyReview")
IN_FORCE = document("PrivacyPolicy")
VERSIONS = document("PrivacyPolicyVersions")
# The SHA-256 of shared/seed/privacy-policy.txt, the policy the product was published with.
SEED_SHA256 = "121886b4679a462cc822ce9a2374469d2a01a39b46a66b33b58186e924c47c18"
NOTICE = "Our privacy policy changed"

FRESH_DATABASE = """
import asyncio, json, sys
from app.db import apply_migrations, open_database
from models.privacy import PrivacyPolicy

async def main(url):
    await apply_migrations(url)
    context = await open_database(url)
    try:
        rows = await PrivacyPolicy.all().values(
            "version", "text", "summary_of_changes", "material", "published_by_id"
        )
    finally:
        await context.close_connections()
    print(json.dumps(rows))

asyncio.run(main(sys.argv[1]))
"""


@pytest.fixture
async def editor(users: UserFactory) -> SignedIn:
    return await users.create("Pam Policy", staff=[StaffPermission.MANAGE_POLICY])


@pytest.fixture
def small_batches(runtime: Runtime) -> Iterator[None]:
    """Announce two users at a time, so that a handful of users takes several batches."""
    before = runtime.settings
    runtime.settings = before.with_overrides(policy_notice_batch_size=2)
    yield
    runtime.settings = before


def _draft(version: str, **changes: Any) -> dict[str, Any]:
    return {
        "version": version,
        "text": f"The privacy policy, version {version}.",
        "summaryOfChanges": f"What changed in {version}.",
        "effectiveAt": clock.now().isoformat(),
        "material": True,
        **changes,
    }


async def _publish(graphql: GraphQLClient, editor: SignedIn, version: str, **changes: Any) -> Any:
    data = await graphql.data(PUBLISH, {"input": _draft(version, **changes)}, token=editor.token)
    return data["publishPrivacyPolicy"]


async def _published(
    graphql: GraphQLClient, editor: SignedIn, version: str, **changes: Any
) -> None:
    payload = await _publish(graphql, editor, version, **changes)
    assert payload["errors"] == [], payload


async def _review(graphql: GraphQLClient, who: SignedIn) -> Any:
    return (await graphql.data(REVIEW, token=who.token))["me"]


async def _accept(graphql: GraphQLClient, who: SignedIn, version: str) -> Any:
    data = await graphql.data(ACCEPT, {"input": {"version": version}}, token=who.token)
    return data["acceptPrivacyPolicy"]


async def _notices(user: User) -> int:
    return await Notification.filter(
        recipient_id=user.id, kind=NotificationKind.POLICY_UPDATED
    ).count()


async def _notice_mails(user: User) -> int:
    return await OutboxEmail.filter(recipient_id=user.id, subject=NOTICE).count()


async def test_a_fresh_database_has_version_1_in_force(
    backend: Backend, graphql: GraphQLClient
) -> None:
    """The migrations record version 1 themselves: the text the product was published with."""
    async with fresh_database(backend) as url:
        # In a process of its own, so this session's Tortoise context stays untouched.
        migrating = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            FRESH_DATABASE,
            url,
            env={**os.environ, "PYTHONPATH": str(SCHEMA_PATH.parent)},
            cwd=SCHEMA_PATH.parent,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await asyncio.wait_for(migrating.communicate(), timeout=120)
    assert migrating.returncode == 0
    (first,) = json.loads(output)
    assert hashlib.sha256(first.pop("text").encode()).hexdigest() == SEED_SHA256
    assert first == {
        "version": "1",
        "summary_of_changes": "The policy the service was published with.",
        "material": False,
        "published_by_id": None,
    }
    in_force = (await graphql.data(IN_FORCE))["privacyPolicy"]
    assert hashlib.sha256(in_force["text"].encode()).hexdigest() == SEED_SHA256
    assert (in_force["version"], in_force["material"]) == ("1", False)


async def test_staff_publish_a_version_that_is_in_force_and_audited(
    graphql: GraphQLClient, editor: SignedIn
) -> None:
    payload = await _publish(graphql, editor, "2", material=False)
    assert payload["errors"] == []
    assert payload["privacyPolicy"]["version"] == "2"
    assert payload["privacyPolicy"]["summaryOfChanges"] == "What changed in 2."

    in_force = (await graphql.data(IN_FORCE))["privacyPolicy"]
    assert (in_force["version"], in_force["text"]) == ("2", "The privacy policy, version 2.")
    history = (await graphql.data(VERSIONS))["privacyPolicyVersions"]
    assert history["totalCount"] == 2
    assert [(e["node"]["version"], e["node"]["summaryOfChanges"]) for e in history["edges"]] == [
        ("2", "What changed in 2."),
        ("1", "The policy the service was published with."),
    ]
    (entry,) = await AuditEntry.filter(action=AuditAction.POLICY_PUBLISHED)
    assert (entry.actor_id, entry.detail) == (editor.user.id, {"version": "2", "material": False})
    published = await PrivacyPolicy.get(version="2")
    assert published.published_by_id == editor.user.id


async def test_a_published_version_never_changes(graphql: GraphQLClient, editor: SignedIn) -> None:
    await _published(graphql, editor, "2")
    again = await _publish(graphql, editor, "2", text="Something else entirely.")
    assert again["privacyPolicy"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("version", "CONFLICT")]
    assert (await PrivacyPolicy.get(version="2")).text == "The privacy policy, version 2."
    assert await PrivacyPolicy.filter(version="1").count() == 1
    refused = await _publish(graphql, editor, "1", text="A new first version.")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("version", "CONFLICT")]
    assert await AuditEntry.filter(action=AuditAction.POLICY_PUBLISHED).count() == 1


BAD_DRAFTS = [
    pytest.param({"version": "  "}, "version", id="an empty version"),
    pytest.param({"version": "2 beta"}, "version", id="a version with a space"),
    pytest.param({"version": "9" * 33}, "version", id="a version too long"),
    pytest.param({"text": ""}, "text", id="no text"),
    pytest.param({"text": " \n "}, "text", id="blank text"),
    pytest.param({"summaryOfChanges": ""}, "summaryOfChanges", id="no summary of changes"),
    pytest.param({"effectiveAt": "2030-01-01T00:00:00"}, "effectiveAt", id="no time offset"),
    pytest.param(
        {"effectiveAt": "2001-01-01T00:00:00Z"}, "effectiveAt", id="before the version in force"
    ),
]


@pytest.mark.parametrize(("change", "field"), BAD_DRAFTS)
async def test_bad_input_is_refused_and_changes_nothing(
    graphql: GraphQLClient, editor: SignedIn, change: dict[str, Any], field: str
) -> None:
    variables = {"input": {**_draft("2"), **change}}
    payload = (await graphql.data(PUBLISH, variables, token=editor.token))["publishPrivacyPolicy"]
    assert payload["privacyPolicy"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "BAD_USER_INPUT")]
    assert await PrivacyPolicy.all().values_list("version", flat=True) == ["1"]
    assert not await PolicyAnnouncement.exists()
    assert not await AuditEntry.filter(action=AuditAction.POLICY_PUBLISHED).exists()


async def test_a_version_takes_effect_no_earlier_than_the_latest(
    graphql: GraphQLClient, editor: SignedIn
) -> None:
    """An upcoming version is the latest: the next one may not start before it."""
    soon = clock.now() + timedelta(days=10)
    await _published(graphql, editor, "2", effectiveAt=soon.isoformat())
    earlier = await _publish(
        graphql, editor, "3", effectiveAt=(soon - timedelta(days=1)).isoformat()
    )
    assert [(e["field"], e["code"]) for e in earlier["errors"]] == [
        ("effectiveAt", "BAD_USER_INPUT")
    ]
    await _published(graphql, editor, "3", effectiveAt=soon.isoformat())


async def test_only_staff_who_manage_the_policy_publish(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    lawyer = await users.create("Lea Legal", staff=[StaffPermission.LEGAL])
    someone = await users.create("Sam Someone")
    variables = {"input": _draft("2")}
    assert error_codes(await graphql(PUBLISH, variables)) == ["UNAUTHENTICATED"]
    for who in (someone, lawyer):
        refused = await graphql(PUBLISH, variables, token=who.token)
        assert (refused["data"], error_codes(refused)) == (None, ["FORBIDDEN"])
    assert await PrivacyPolicy.all().values_list("version", flat=True) == ["1"]


async def test_a_material_version_asks_every_user_to_review_it_until_they_accept(
    graphql: GraphQLClient,
    users: UserFactory,
    editor: SignedIn,
    mailbox: Mailbox,
    runtime: Runtime,
    small_batches: None,
) -> None:
    """The issue's "done when": every user must review it until they accept, and each got
    one email, whatever runs the announcement again."""
    people = [await users.create(f"Person {n}", email=f"person{n}@example.com") for n in range(5)]
    everyone = [*people, editor]
    gone = await users.create("Gina Gone", email="gone@example.com")
    await User.filter(id=gone.user.id).update(is_active=False)
    for who in everyone:
        assert (await _review(graphql, who))["mustReviewPrivacyPolicy"] is False

    await _published(graphql, editor, "2")
    for who in everyone:
        await mailbox.wait_for(who.user.email, NOTICE)
        assert (await _review(graphql, who))["mustReviewPrivacyPolicy"] is True

    # Announcing again (the sweep, another worker) sends nothing new.
    assert await policy_notices.announce_due(runtime) == 0
    announcement = await PolicyAnnouncement.get(policy__version="2")
    assert announcement.finished_at is not None
    assert announcement.notified_count == len(everyone)
    await runtime.outbox.wake()
    for who in everyone:
        assert (await _notices(who.user), await _notice_mails(who.user)) == (1, 1)
        assert len([m for m in mailbox.to(who.user.email) if m["Subject"] == NOTICE]) == 1
    assert (await _notices(gone.user), await _notice_mails(gone.user)) == (0, 0)
    assert mailbox.to("gone@example.com") == []

    accepted = await _accept(graphql, people[0], "2")
    assert accepted["errors"] == []
    assert accepted["mustReviewPrivacyPolicy"] is False
    acceptance = accepted["privacyPolicyAcceptance"]
    assert (acceptance["version"], acceptance["source"]) == ("2", "API")
    again = await _accept(graphql, people[0], "2")
    assert again["privacyPolicyAcceptance"] == acceptance
    assert await PolicyAcceptance.filter(user_id=people[0].user.id).count() == 1
    assert (await _review(graphql, people[0]))["mustReviewPrivacyPolicy"] is False
    for who in people[1:]:
        assert (await _review(graphql, who))["mustReviewPrivacyPolicy"] is True


async def test_an_interrupted_announcement_resumes_and_notifies_each_user_once(
    graphql: GraphQLClient,
    users: UserFactory,
    editor: SignedIn,
    runtime: Runtime,
    small_batches: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    people = [await users.create(f"Person {n}") for n in range(5)]
    everyone = [editor, *people]
    # Effective in an hour: nothing is announced before then.
    await _published(
        graphql, editor, "2", effectiveAt=(clock.now() + timedelta(hours=1)).isoformat()
    )
    assert await policy_notices.announce_due(runtime) == 0

    class Crash(Exception):
        pass

    notify, calls = policy_notices.notify, []

    async def crashing_after_the_first_batch(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) > 1:
            raise Crash
        return await notify(*args, **kwargs)

    with clock.moved_clock(timedelta(hours=1, minutes=1)):
        monkeypatch.setattr(policy_notices, "notify", crashing_after_the_first_batch)
        with pytest.raises(Crash):
            await policy_notices.announce_due(runtime)
        first_batch = [await _notices(who.user) for who in everyone]
        assert first_batch == [1, 1, 0, 0, 0, 0]  # the batch that committed, in id order
        monkeypatch.undo()

        await policy_notices.announce_due(runtime)
        assert await policy_notices.announce_due(runtime) == 0
    for who in everyone:
        assert (await _notices(who.user), await _notice_mails(who.user)) == (1, 1)


async def test_a_version_in_the_future_takes_effect_at_its_time(
    graphql: GraphQLClient, users: UserFactory, editor: SignedIn, runtime: Runtime
) -> None:
    reader = await users.create("Rita Reader")
    starts = clock.now() + timedelta(days=7)
    await _published(graphql, editor, "2", effectiveAt=starts.isoformat())

    assert (await graphql.data(IN_FORCE))["privacyPolicy"]["version"] == "1"
    history = (await graphql.data(VERSIONS))["privacyPolicyVersions"]["edges"]
    assert [edge["node"]["version"] for edge in history] == ["2", "1"]
    refused = await _accept(graphql, reader, "2")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("version", "BAD_USER_INPUT")]
    assert (await _review(graphql, reader))["mustReviewPrivacyPolicy"] is False
    assert await policy_notices.announce_due(runtime) == 0

    early = await users.create("Eli Early")
    with clock.moved_clock(timedelta(days=7, minutes=1)):
        assert (await graphql.data(IN_FORCE))["privacyPolicy"]["version"] == "2"
        assert (await _review(graphql, reader))["mustReviewPrivacyPolicy"] is True
        # Who accepted it before the announcement reached them has nothing to review.
        assert (await _accept(graphql, early, "2"))["errors"] == []
        await policy_notices.announce_due(runtime)
        assert (await _notices(reader.user), await _notices(early.user)) == (1, 0)


async def test_a_non_material_version_notifies_nobody(
    graphql: GraphQLClient, users: UserFactory, editor: SignedIn, runtime: Runtime
) -> None:
    reader = await users.create("Rita Reader")
    await _published(graphql, editor, "2", material=False)
    assert await policy_notices.announce_due(runtime) == 0
    assert not await PolicyAnnouncement.exists()
    assert not await Notification.filter(kind=NotificationKind.POLICY_UPDATED).exists()
    assert (await _review(graphql, reader))["mustReviewPrivacyPolicy"] is False


async def test_only_the_version_in_force_can_be_accepted(
    graphql: GraphQLClient, users: UserFactory, editor: SignedIn
) -> None:
    reader = await users.create("Rita Reader")
    await _published(graphql, editor, "2")
    for version in ("1", "3", ""):
        refused = await _accept(graphql, reader, version)
        assert refused["privacyPolicyAcceptance"] is None
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ("version", "BAD_USER_INPUT")
        ]
    assert not await PolicyAcceptance.filter(user_id=reader.user.id).exists()
    anonymous = await graphql(ACCEPT, {"input": {"version": "2"}})
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_sign_up_accepts_the_version_in_force(
    graphql: GraphQLClient, editor: SignedIn
) -> None:
    signed_up = await graphql.data(
        document("SignUp"),
        {"input": {"email": "nina@example.com", "password": PASSWORD, "name": "Nina New"}},
    )
    assert signed_up["signUp"]["errors"] == []
    logged_in = await graphql.data(
        document("LogIn"),
        {"input": {"email": "nina@example.com", "password": PASSWORD, "session": "TOKEN"}},
    )
    nina = SignedIn(
        user=await User.get(email="nina@example.com"), token=logged_in["logIn"]["token"]
    )
    review = await _review(graphql, nina)
    assert review["mustReviewPrivacyPolicy"] is False
    acceptance = review["privacyPolicyAcceptance"]
    assert (acceptance["version"], acceptance["source"]) == ("1", "SIGN_UP")

    await _published(graphql, editor, "2")
    assert (await _review(graphql, nina))["mustReviewPrivacyPolicy"] is True
    await _accept(graphql, nina, "2")
    review = await _review(graphql, nina)
    assert (review["mustReviewPrivacyPolicy"], review["privacyPolicyAcceptance"]["version"]) == (
        False,
        "2",
    )


async def test_whether_to_review_is_the_users_own(
    graphql: GraphQLClient, users: UserFactory, editor: SignedIn
) -> None:
    await _published(graphql, editor, "2")
    mentor = await users.create("Mia Mentor")
    staff = await users.create(
        "Pia Pii", staff=[StaffPermission.VIEW_PII, StaffPermission.MANAGE_USERS]
    )
    query = "query U($id: ID!) { user(id: $id) { name mustReviewPrivacyPolicy } }"
    seen = await graphql.data(query, {"id": mentor.global_id}, token=staff.token)
    assert seen == {"user": {"name": "Mia Mentor", "mustReviewPrivacyPolicy": None}}
    own = await graphql.data(query, {"id": mentor.global_id}, token=mentor.token)
    assert own == {"user": {"name": "Mia Mentor", "mustReviewPrivacyPolicy": True}}


async def test_consent_records_name_the_version_in_force_when_they_were_made(
    graphql: GraphQLClient, users: UserFactory, editor: SignedIn
) -> None:
    who = await users.create("Cora Consent")
    set_consent = document("SetConsent")
    for granted in (True, False):
        if not granted:
            await _published(graphql, editor, "2")
        answer = await graphql.data(
            set_consent, {"input": {"purpose": "ANALYTICS", "granted": granted}}, token=who.token
        )
        assert answer["setConsent"]["consent"]["policyVersion"] == ("1" if granted else "2")
    history = await graphql.data(document("ConsentHistory"), token=who.token)
    edges = history["me"]["consentHistory"]["edges"]
    assert [(e["node"]["granted"], e["node"]["policyVersion"]) for e in edges] == [
        (False, "2"),
        (True, "1"),
    ]


async def test_the_policy_is_served_as_plain_text(
    http: TestClient[Any, Any], graphql: GraphQLClient, editor: SignedIn
) -> None:
    first = await http.get("/privacy-policy")
    assert first.status == 200
    assert first.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert first.headers["Privacy-Policy-Version"] == "1"
    assert hashlib.sha256(await first.read()).hexdigest() == SEED_SHA256

    await _published(graphql, editor, "2")
    later = (clock.now() + timedelta(days=7)).isoformat()
    await _published(graphql, editor, "3", effectiveAt=later)
    current = await http.get("/privacy-policy")
    assert (current.headers["Privacy-Policy-Version"], await current.text()) == (
        "2",
        "The privacy policy, version 2.",
    )
    for version, text in (("1", None), ("3", "The privacy policy, version 3.")):
        asked = await http.get("/privacy-policy", params={"version": version})
        assert (asked.status, asked.headers["Privacy-Policy-Version"]) == (200, version)
        if text is not None:
            assert await asked.text() == text
    for unknown in ("4", "", "../1"):
        missing = await http.get("/privacy-policy", params={"version": unknown})
        assert missing.status == 404


async def test_acceptances_are_exported_and_erased_with_the_account(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, runtime: Runtime
) -> None:
    """Which version someone accepted is theirs: in their export, and gone with their data."""
    who = await users.create("Ada Accepting", email="ada@example.com")
    await _accept(graphql, who, "1")
    cover = archive.export_cover(who.user.id, clock.now())
    data, _ = unzipped(await archive.build(who.user, runtime.files, cover))
    (exported,) = rows(data, "PolicyAcceptance")
    assert (exported["policy"], exported["source"]) == ((await PrivacyPolicy.get()).id, "API")

    confirm_token, _ = await asked(graphql, mailbox, who)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1
    assert not await PolicyAcceptance.filter(user_id=who.user.id).exists()

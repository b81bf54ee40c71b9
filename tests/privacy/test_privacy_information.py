"""The privacy information (P20, P26): the controller, the support contact, where the data is
stored, who processes it and how long it is kept, read off the configuration the code runs
on; and privacy questions, from anyone, kept, mailed to support and acknowledged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core import clock, limits
from core.runtime import Runtime
from core.settings import AdvertisingPartner, ConfigurationError, Settings
from models.accounts import StaffPermission
from models.deletion import AccountDeletion, LegalHold
from models.outbox import OutboxEmail
from models.privacy import PrivacyQuestion
from services.email import FolderMailer
from tests.deletion.helpers import asked, confirm, erase_after
from tests.privacy.test_data_export import listed, path_of, request, rows, unzipped, worker
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

INFORMATION = document("PrivacyInformation")
PROCESSORS = document("DataProcessors")
ASK = document("SendPrivacyQuestion")
SUPPORT = "privacy@mentor.example"
ADNET = AdvertisingPartner(
    name="Adnet",
    purpose="Showing our offers on its network",
    country="IE",
    endpoint="https://ads.example/audiences",
    fields=("email_sha256",),
)


@pytest.fixture
def configure(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Change the running app's settings for this test only."""

    def change(**changes: Any) -> None:
        monkeypatch.setattr(runtime, "settings", runtime.settings.with_overrides(**changes))

    return change


async def _information(graphql: GraphQLClient, **kw: Any) -> dict[str, Any]:
    found: dict[str, Any] = (await graphql.data(INFORMATION, **kw))["privacyInformation"]
    return found


@pytest.mark.promise("P20")
@pytest.mark.promise("P26")
async def test_anyone_reads_who_answers_for_the_data_and_where_it_is_stored(
    graphql: GraphQLClient, configure: Callable[..., None]
) -> None:
    configure(
        controller_name="Mentor Marketplace Ltd",
        controller_address="1 Example Street, Dublin, Ireland",
        support_email=SUPPORT,
        database_location="Ireland (EU)",
        file_store_location="Germany (EU)",
        backup_location="Finland (EU)",
        advertising_partners=(ADNET,),
    )
    served = await _information(graphql)
    assert {key: value for key, value in served.items() if key != "retention"} == {
        "controller": "Mentor Marketplace Ltd",
        "controllerAddress": "1 Example Street, Dublin, Ireland",
        "contactEmail": SUPPORT,
        "storageLocations": [
            "Database (accounts, profiles, posts, jobs, payments, consents, questions and "
            "logs): Ireland (EU)",
            "File store (profile photos, data exports): Germany (EU)",
            "Backups of the database and the file store: Finland (EU)",
        ],
        "processors": [
            {
                "name": "Stripe",
                "purpose": "Card payments, refunds and mentor payouts.",
                "location": None,
            },
            {"name": "127.0.0.1", "purpose": "Delivering the email we send you.", "location": None},
            {"name": "Adnet", "purpose": "Showing our offers on its network", "location": "IE"},
        ],
    }
    # One list of processors: what dataProcessors serves, from the same configuration.
    listed_processors = (await graphql.data(PROCESSORS))["dataProcessors"]
    assert served["processors"] == [
        {"name": p["name"], "purpose": p["purpose"], "location": p["country"]}
        for p in listed_processors
    ]

    configure(database_location="Canada", stripe_secret_key=None, advertising_partners=())
    changed = await _information(graphql)
    assert changed["storageLocations"][0].endswith(": Canada")
    assert [p["name"] for p in changed["processors"]] == ["127.0.0.1"]


@pytest.mark.promise("P20")
async def test_the_retention_served_is_what_erasure_and_exports_run_on(
    graphql: GraphQLClient,
    users: UserFactory,
    mailbox: Mailbox,
    runtime: Runtime,
    configure: Callable[..., None],
) -> None:
    configure(
        analytics_retention=timedelta(days=45),
        data_export_lifetime=timedelta(hours=12),
        account_erasure_grace=timedelta(days=7),
        financial_retention=timedelta(days=2555),
        privacy_question_retention=timedelta(days=400),
    )
    served = (await _information(graphql))["retention"]
    assert [(period["period"], period["days"]) for period in served] == [
        ("45 days", 45),
        ("12 hours", 0.5),
        ("7 days", 7),
        ("2555 days", 2555),
        ("400 days", 400),
    ]
    kinds = ["pages and posts", "data export", "deleted account", "payments and jobs", "question"]
    assert all(kind in period["purpose"] for kind, period in zip(kinds, served, strict=True))

    # The export lives as long as it says.
    erin = await users.create("Erin")
    await request(graphql, erin)
    await worker(runtime).build_exports()
    (ready,) = await listed(graphql, erin)
    lifetime = datetime.fromisoformat(ready["expiresAt"]) - datetime.fromisoformat(ready["readyAt"])
    assert lifetime / timedelta(days=1) == served[1]["days"]

    # A confirmed deletion waits as long as it says before the erasure.
    confirm_token, _ = await asked(graphql, mailbox, erin)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    deletion = await AccountDeletion.get(user_id=erin.user.id)
    assert deletion.scheduled_erasure_at and deletion.confirmed_at
    grace = deletion.scheduled_erasure_at - deletion.confirmed_at
    assert grace / timedelta(days=1) == served[2]["days"]


def _from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> Settings:
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MENTOR_ENV", "development")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings.from_env()


@pytest.mark.promise("P20")
def test_the_information_comes_from_the_environment_with_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plain = _from_env(monkeypatch, tmp_path)
    assert (plain.support_email, plain.controller_name, plain.controller_address) == (
        "support@mentor.example",
        "mentor-api",
        None,
    )
    assert {plain.database_location, plain.file_store_location, plain.backup_location} == {
        "European Union"
    }
    configured = _from_env(
        monkeypatch,
        tmp_path,
        SUPPORT_EMAIL=SUPPORT,
        CONTROLLER_NAME="Mentor Marketplace Ltd",
        CONTROLLER_ADDRESS="1 Example Street, Dublin",
        DATABASE_LOCATION="Ireland",
        BACKUP_LOCATION="Finland",
        PRIVACY_QUESTION_RETENTION_DAYS="180",
    )
    assert configured.support_email == SUPPORT
    assert configured.controller_address == "1 Example Street, Dublin"
    # The files are where the database is unless said otherwise.
    assert (configured.file_store_location, configured.backup_location) == ("Ireland", "Finland")
    assert configured.privacy_question_retention == timedelta(days=180)
    with pytest.raises(ConfigurationError, match="SUPPORT_EMAIL"):
        _from_env(monkeypatch, tmp_path, SUPPORT_EMAIL="support team")


async def _ask(
    graphql: GraphQLClient, who: SignedIn | None = None, **fields: Any
) -> dict[str, Any]:
    question = {"subject": "Cookies", "message": "Which cookies do you set, and why?", **fields}
    return await graphql(ASK, {"input": question}, token=who.token if who else None)


def _text(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text: str = body.get_content()
    return text


@pytest.mark.promise("P26")
async def test_a_signed_in_question_goes_to_support_and_is_acknowledged_at_the_account(
    graphql: GraphQLClient, users: UserFactory, mailbox: Mailbox, configure: Callable[..., None]
) -> None:
    configure(support_email=SUPPORT)
    alice = await users.create("Alice", email="alice@example.com")
    body = await _ask(graphql, alice)
    assert body["data"]["sendPrivacyQuestion"] == {"replyTo": "alice@example.com", "errors": []}

    (kept,) = await PrivacyQuestion.all()
    assert (kept.user_id, kept.reply_to, kept.subject) == (
        alice.user.id,
        "alice@example.com",
        "Cookies",
    )
    assert kept.message == "Which cookies do you set, and why?"
    to_support = await mailbox.wait_for(SUPPORT, f"Privacy question #{kept.id}")
    assert to_support["Reply-To"] == "alice@example.com"
    assert "Which cookies do you set, and why?" in _text(to_support)
    assert "Subject: Cookies" in _text(to_support)
    assert "the account alice@example.com, signed in" in _text(to_support)
    acknowledged = await mailbox.wait_for("alice@example.com", "We received your privacy question")
    assert '"Cookies"' in _text(acknowledged)
    assert "Which cookies" not in _text(acknowledged)  # anyone may type any address


@pytest.mark.promise("P26")
async def test_someone_not_signed_in_is_answered_at_the_address_they_give(
    graphql: GraphQLClient, mailbox: Mailbox, configure: Callable[..., None]
) -> None:
    configure(support_email=SUPPORT)
    body = await _ask(graphql, replyTo="  Visitor@Example.com ")
    assert body["data"]["sendPrivacyQuestion"] == {"replyTo": "visitor@example.com", "errors": []}
    (kept,) = await PrivacyQuestion.all()
    assert (kept.user_id, kept.reply_to) == (None, "visitor@example.com")
    to_support = await mailbox.wait_for(SUPPORT, f"Privacy question #{kept.id}")
    assert to_support["Reply-To"] == "visitor@example.com"
    assert "someone not signed in" in _text(to_support)
    await mailbox.wait_for("visitor@example.com", "We received your privacy question")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "replyTo"),  # not signed in: nowhere to answer
        ({"replyTo": "not an address"}, "replyTo"),
        ({"replyTo": "v@example.com", "subject": "  "}, "subject"),
        ({"replyTo": "v@example.com", "message": "\n"}, "message"),
        (
            {"replyTo": "v@example.com", "subject": "s" * (limits.MAX_QUESTION_SUBJECT_LENGTH + 1)},
            "subject",
        ),
        (
            {"replyTo": "v@example.com", "message": "m" * (limits.MAX_QUESTION_MESSAGE_LENGTH + 1)},
            "message",
        ),
    ],
)
@pytest.mark.promise("P26")
async def test_a_question_without_an_address_or_beyond_its_limits_is_refused(
    graphql: GraphQLClient, fields: dict[str, str], field: str
) -> None:
    body = await _ask(graphql, None, **fields)
    (error,) = body["data"]["sendPrivacyQuestion"]["errors"]
    assert (error["field"], error["code"]) == (field, "BAD_USER_INPUT")
    assert body["data"]["sendPrivacyQuestion"]["replyTo"] is None
    assert await PrivacyQuestion.all().count() == 0
    assert await OutboxEmail.all().count() == 0


@pytest.mark.promise("P26")
async def test_questions_are_throttled_per_account_address_and_network(
    graphql: GraphQLClient, users: UserFactory, configure: Callable[..., None]
) -> None:
    configure(privacy_questions_per_sender=2, privacy_questions_per_ip=6)
    alice = await users.create("Alice")
    # An account: whatever address it gives.
    for number in (1, 2):
        assert error_codes(await _ask(graphql, alice, replyTo=f"a{number}@example.com")) == []
    refused = await _ask(graphql, alice, replyTo="a3@example.com")
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["extensions"]["retryAfter"] > 0
    # An address: whoever gives it.
    for _ in (1, 2):
        assert error_codes(await _ask(graphql, replyTo="victim@example.com")) == []
    assert error_codes(await _ask(graphql, replyTo="victim@example.com")) == ["RATE_LIMITED"]
    assert await PrivacyQuestion.all().count() == 4
    # The network: its budget of 6 is spent by the questions asked, and refused, above.
    assert error_codes(await _ask(graphql, replyTo="new@example.com")) == ["RATE_LIMITED"]
    assert await PrivacyQuestion.filter(reply_to="new@example.com").count() == 0


@pytest.mark.promise("P26")
async def test_the_askers_questions_are_in_their_export_and_go_with_their_erasure(
    graphql: GraphQLClient,
    users: UserFactory,
    mailbox: Mailbox,
    runtime: Runtime,
    http: TestClient[Any, Any],
    configure: Callable[..., None],
) -> None:
    configure(support_email=SUPPORT)
    erin = await users.create("Erin", email="erin@example.com")
    assert error_codes(await _ask(graphql, erin, message="Do you sell my data?")) == []
    await request(graphql, erin)
    await worker(runtime).build_exports()
    (ready,) = await listed(graphql, erin)
    response = await http.get(
        path_of(ready["downloadUrl"]), headers={"Authorization": f"Bearer {erin.token}"}
    )
    data, _ = unzipped(await response.read())
    (exported,) = rows(data, "PrivacyQuestion")
    assert (exported["subject"], exported["message"], exported["reply_to"]) == (
        "Cookies",
        "Do you sell my data?",
        "erin@example.com",
    )

    # A second question whose mail support never received: it still holds the message.
    confirm_token, _ = await asked(graphql, mailbox, erin)
    mailbox.refuse = True
    assert error_codes(await _ask(graphql, erin, replyTo="erin@elsewhere.example")) == []
    waiting = await PrivacyQuestion.filter(reply_to="erin@elsewhere.example").get()
    assert await OutboxEmail.exists(id=waiting.support_mail_id, body__contains="Which cookies")
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1

    assert await PrivacyQuestion.filter(user_id=erin.user.id).count() == 0
    mail_ids = [waiting.support_mail_id, waiting.acknowledgement_id]
    assert await OutboxEmail.filter(id__in=mail_ids).count() == 0
    assert await OutboxEmail.filter(to_address="erin@elsewhere.example").count() == 0


@pytest.mark.promise("P26")
async def test_questions_go_after_their_retention_unless_a_legal_hold_keeps_them(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, configure: Callable[..., None]
) -> None:
    configure(privacy_question_retention=timedelta(days=30))
    held = await users.create("Harriet")
    legal = await users.create("Lee Legal", staff=[StaffPermission.LEGAL])
    await LegalHold.create(
        user=held.user,
        placed_by=legal.user,
        reference="Case 7",
        reason="Order",
        placed_at=clock.now(),
    )
    assert error_codes(await _ask(graphql, replyTo="visitor@example.com")) == []
    assert error_codes(await _ask(graphql, held)) == []
    anonymous = await PrivacyQuestion.get(user_id=None)
    sweep = worker(runtime)

    with clock.moved_clock(timedelta(days=29)):
        assert await sweep.forget_privacy_questions() == 0
    with clock.moved_clock(timedelta(days=31)):
        assert await sweep.forget_privacy_questions() == 1
    assert [q.user_id for q in await PrivacyQuestion.all()] == [held.user.id]
    mail_ids = [anonymous.support_mail_id, anonymous.acknowledgement_id]
    assert await OutboxEmail.filter(id__in=mail_ids).count() == 0
    assert await OutboxEmail.filter(to_address="visitor@example.com").count() == 0


async def test_the_embedded_mail_folder_forgets_mail_to_be_answered_at_an_erased_address(
    tmp_path: Path,
) -> None:
    """On the embedded default the mail folder is the support team's inbox too: a question's
    mail there names its sender only in Reply-To, and goes with them."""
    folder = FolderMailer(tmp_path / "mail")
    for number, (to, reply_to) in enumerate(
        [(SUPPORT, "erin@example.com"), (SUPPORT, "other@example.com"), ("erin@example.com", "")]
    ):
        message = EmailMessage()
        message["To"] = to
        if reply_to:
            message["Reply-To"] = reply_to
        message["Subject"] = "Privacy question"
        message["Message-ID"] = f"<outbox{number}@mentor-api>"
        message.set_content("Do you sell my data?\n")
        await folder.send(message)
    assert await folder.forget("erin@example.com") == 2
    (left,) = (tmp_path / "mail").iterdir()
    assert b"other@example.com" in left.read_bytes()

"""Transactional email: written with its cause, delivered over SMTP, retried, given up."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.runtime import Runtime
from core.settings import Settings
from models.accounts import User
from models.outbox import OutboxEmail, OutboxStatus
from services import audit
from services.email import FolderMailer, SmtpMailer, enqueue_email
from services.transactions import transaction
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, UserFactory

SIGN_UP = document("SignUp")


async def queue_mail(users: UserFactory) -> OutboxEmail:
    alice = await users.create("Alice", email="alice@example.com")
    async with transaction():
        return await enqueue_email(alice.user, "Hello", "A message for Alice.")


async def make_due(row: OutboxEmail) -> None:
    await OutboxEmail.filter(id=row.id).update(next_attempt_at=datetime.now(UTC))


async def until_attempted(row: OutboxEmail) -> OutboxEmail:
    """Poll until a worker has tried the row at least once."""
    for _ in range(500):
        current = await OutboxEmail.get(id=row.id)
        if current.attempts:
            return current
        await asyncio.sleep(0.02)
    raise AssertionError("no worker tried to deliver the mail")


async def test_a_refused_sign_up_queues_no_mail(graphql: GraphQLClient) -> None:
    refused = await graphql.data(
        SIGN_UP, {"input": {"email": "alice@example.com", "password": "weak"}}
    )
    assert refused["signUp"]["errors"] == [
        {"field": "password", "code": "WEAK_PASSWORD", "message": "Use at least 10 characters."}
    ]
    assert await OutboxEmail.all().count() == 0


async def test_mail_rolls_back_with_the_change_that_caused_it(
    graphql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the audit log is down")

    monkeypatch.setattr(audit, "record", failing_audit)
    body = await graphql(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    assert error_codes(body) == ["INTERNAL"]
    assert await User.all().count() == 0
    assert await OutboxEmail.all().count() == 0


@pytest.mark.promise("P10")
async def test_sign_up_mail_is_delivered_by_the_worker(
    graphql: GraphQLClient, mailbox: Mailbox
) -> None:
    await graphql.data(SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}})
    mail = await mailbox.wait_for("alice@example.com", "Verify your email")
    assert mail["From"] == "mentor-api <no-reply@mentor.example>"
    # The worker records the delivery once the relay has answered, outside the send.
    row = await until_attempted(await OutboxEmail.get(to_address="alice@example.com"))
    assert (row.status, row.attempts, row.body) == (OutboxStatus.SENT, 1, "")


@pytest.mark.promise("P10")
async def test_a_temporary_smtp_failure_is_retried_later(
    users: UserFactory, runtime: Runtime, mailbox: Mailbox
) -> None:
    mailbox.refuse = True
    row = await queue_mail(users)
    await runtime.outbox.wake()
    tried = await until_attempted(row)
    assert (tried.status, tried.attempts) == (OutboxStatus.PENDING, 1)
    assert tried.last_error == "SMTPDataError"
    assert tried.next_attempt_at > datetime.now(UTC)
    assert mailbox.to("alice@example.com") == []

    mailbox.refuse = False
    assert await runtime.outbox.deliver_outbox() == 0  # not due yet
    await make_due(row)
    assert await runtime.outbox.deliver_outbox() == 1
    delivered = await OutboxEmail.get(id=row.id)
    assert (delivered.status, delivered.attempts, delivered.last_error) == (
        OutboxStatus.SENT,
        2,
        None,
    )
    assert [str(m["Subject"]) for m in mailbox.to("alice@example.com")] == ["Hello"]


async def test_mail_is_given_up_after_the_last_attempt(
    users: UserFactory, runtime: Runtime, mailbox: Mailbox, settings: Settings
) -> None:
    mailbox.refuse = True
    row = await queue_mail(users)
    await OutboxEmail.filter(id=row.id).update(attempts=settings.outbox_max_attempts - 1)
    await make_due(row)
    assert await runtime.outbox.deliver_outbox() == 0
    failed = await OutboxEmail.get(id=row.id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, settings.outbox_max_attempts)

    mailbox.refuse = False
    await OutboxEmail.filter(id=row.id).update(next_attempt_at=datetime.now(UTC) - timedelta(1))
    assert await runtime.outbox.deliver_outbox() == 0
    assert (await OutboxEmail.get(id=row.id)).status == OutboxStatus.FAILED
    assert mailbox.to("alice@example.com") == []


async def test_folder_mailer_writes_an_eml_file(tmp_path: Path) -> None:
    message = EmailMessage()
    message["From"] = "mentor-api <no-reply@mentor.example>"
    message["To"] = "alice@example.com"
    message["Subject"] = "Verify your email address"
    message["Message-ID"] = "<outbox1@mentor-api>"
    message.set_content("token=abc\n")

    await FolderMailer(tmp_path / "mail").send(message)

    [written] = list((tmp_path / "mail").iterdir())
    assert written.suffix == ".eml"
    parsed = message_from_bytes(written.read_bytes(), policy=policy.default)
    assert parsed["To"] == "alice@example.com"
    assert parsed["Subject"] == "Verify your email address"
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content() == "token=abc\n"


def test_smtp_url_must_name_an_smtp_server() -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpMailer("http://127.0.0.1:25")


async def test_a_mail_that_can_never_be_sent_neither_blocks_nor_repeats_the_others(
    users: UserFactory, runtime: Runtime, mailbox: Mailbox
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    mallory = await users.create("Mallory", email="mallory@example.com")
    async with transaction():
        first = await enqueue_email(alice.user, "First", "Before the bad one.")
        bad = await enqueue_email(mallory.user, "Broken", "To an address no relay takes.")
        last = await enqueue_email(alice.user, "Last", "After the bad one.")
    # An address with a control character, as older sign-ups may have stored.
    await OutboxEmail.filter(id=bad.id).update(to_address="mallory\x7f@example.com")
    for row in (first, bad, last):
        await make_due(row)

    for _ in range(3):  # sweeps
        await runtime.outbox.deliver_outbox()

    await mailbox.wait_for("alice@example.com", "Last")
    assert sorted(str(m["Subject"]) for m in mailbox.to("alice@example.com")) == ["First", "Last"]
    statuses = {row.subject: row.status for row in await OutboxEmail.all()}
    assert statuses == {
        "First": OutboxStatus.SENT,
        "Broken": OutboxStatus.FAILED,
        "Last": OutboxStatus.SENT,
    }


async def test_a_lost_wake_up_does_not_fail_a_sign_up_that_happened(
    graphql: GraphQLClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(runtime.outbox._deliver, "kiq", broker_down)
    signed_up = await graphql.data(
        SIGN_UP, {"input": {"email": "alice@example.com", "password": PASSWORD}}
    )
    assert signed_up["signUp"]["errors"] == []
    assert await User.filter(email="alice@example.com").count() == 1
    assert await OutboxEmail.filter(to_address="alice@example.com").count() == 1


async def test_an_address_with_control_characters_is_refused_at_sign_up(
    graphql: GraphQLClient,
) -> None:
    refused = await graphql.data(
        SIGN_UP, {"input": {"email": "mallory\x7f@example.com", "password": PASSWORD}}
    )
    assert refused["signUp"]["errors"] == [
        {"field": "email", "code": "BAD_USER_INPUT", "message": "Enter a valid email address."}
    ]


async def test_a_relay_certificate_problem_is_retried_not_given_up(
    users: UserFactory, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def expired_certificate(message: EmailMessage) -> None:
        raise ssl.SSLCertVerificationError("certificate has expired")

    monkeypatch.setattr(runtime.outbox._mailer, "send", expired_certificate)
    row = await queue_mail(users)
    await make_due(row)
    assert await runtime.outbox.deliver_outbox() == 0
    tried = await OutboxEmail.get(id=row.id)
    assert (tried.status, tried.attempts, tried.last_error) == (
        OutboxStatus.PENDING,
        1,
        "SSLCertVerificationError",
    )
    assert tried.next_attempt_at > datetime.now(UTC)

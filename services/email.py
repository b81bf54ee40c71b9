"""Transactional email: rows in the outbox, written in the same transaction as their cause."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from core import clock, limits
from models.accounts import User
from models.outbox import OutboxEmail, OutboxStatus
from services.transactions import transaction

logger = logging.getLogger("mentor_api.email")


async def enqueue_email(recipient: User, subject: str, body: str) -> OutboxEmail:
    """Queue mail for ``recipient``; call inside the transaction of the change it reports."""
    return await OutboxEmail.create(
        recipient_id=recipient.id,
        to_address=recipient.email,
        subject=subject,
        body=body,
        next_attempt_at=clock.now(),
    )


async def enqueue_email_to(
    address: str,
    subject: str,
    body: str,
    *,
    recipient: User | None = None,
    headers: dict[str, str] | None = None,
) -> OutboxEmail:
    """Queue mail for an address that need not be an account's (support, or whoever asked a
    privacy question), with the headers it sends beside From, To and Subject; ``recipient``
    is the account it is for, if any, and it goes with that account."""
    return await OutboxEmail.create(
        recipient_id=recipient.id if recipient else None,
        to_address=address,
        subject=subject,
        body=body,
        headers=headers or None,
        next_attempt_at=clock.now(),
    )


async def enqueue_emails(
    recipients: Sequence[User],
    subject: str,
    bodies: Sequence[str],
    headers: Sequence[dict[str, str]],
) -> None:
    """Queue one mail per recipient in a single statement (a campaign's batch), each with its
    own body and the headers it sends beside From, To and Subject (marketing's one-click
    unsubscribe); like ``enqueue_email``, inside the transaction of their cause."""
    now = clock.now()
    await OutboxEmail.bulk_create(
        [
            OutboxEmail(
                recipient_id=recipient.id,
                to_address=recipient.email,
                subject=subject,
                body=body,
                headers=extra or None,
                next_attempt_at=now,
            )
            for recipient, body, extra in zip(recipients, bodies, headers, strict=True)
        ]
    )


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    async def forget(self, address: str) -> int:
        """Delete the copies this mailer keeps of mail to ``address``; answers how many."""


class SmtpMailer:
    """Delivers over SMTP: ``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://``.

    ``timeout`` bounds one delivery as a whole (a relay that answers each command just in
    time still ends there), and each of its steps the same, so a stall names its step."""

    def __init__(self, smtp_url: str, timeout: timedelta = limits.SMTP_TIMEOUT) -> None:
        url = urlsplit(smtp_url)
        if url.scheme not in {"smtp", "smtps"} or not url.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:port or smtps://host:port")
        self._options: dict[str, Any] = {
            "hostname": url.hostname,
            "port": url.port or (465 if url.scheme == "smtps" else 25),
            "username": unquote(url.username) if url.username else None,
            "password": unquote(url.password) if url.password else None,
            "use_tls": url.scheme == "smtps",
            "timeout": timeout.total_seconds(),
        }
        self._timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        client = aiosmtplib.SMTP(**self._options)
        try:
            async with asyncio.timeout(self._timeout.total_seconds()):
                await client.connect()
                await client.send_message(message)
                await client.quit()
        finally:
            # Not ``async with client``: stopped by the bound, it would say QUIT to the relay
            # that stalls and wait for its answer as long again.
            client.close()

    async def forget(self, address: str) -> int:
        return 0  # delivered mail is the relay's and the recipient's, not kept here


class FolderMailer:
    """The embedded default: each message becomes an .eml file in a local folder."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    async def send(self, message: EmailMessage) -> None:
        name = f"{clock.now():%Y%m%dT%H%M%S%f}-{message['Message-ID'].strip('<>')}.eml"
        await asyncio.to_thread(self._write, self._folder / name, bytes(message))

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    async def forget(self, address: str) -> int:
        return await asyncio.to_thread(self._forget, address.lower())

    def _forget(self, address: str) -> int:
        forgotten = 0
        for path in self._folder.glob("*.eml"):
            message = message_from_bytes(path.read_bytes())
            # Mail to the address, and mail to be answered at it (a privacy question's).
            named = f"{message.get('To', '')} {message.get('Reply-To', '')}".lower()
            if address in named:
                path.unlink(missing_ok=True)
                forgotten += 1
        return forgotten


def _as_message(row: OutboxEmail, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain="mentor-api")
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.body, cte=_transfer_encoding(row.body))
    return message


# The longest line SMTP carries (RFC 5321), line ending excluded.
SMTP_LINE_LENGTH = 998


def _transfer_encoding(body: str) -> str:
    """Never quoted-printable: its soft line breaks split a long link or token, which then
    fails when copied. ASCII text whose lines SMTP carries goes as it is (7bit), so a link
    stays whole on its line; anything else as base64, which every mail client decodes."""
    plain = body.isascii() and all(len(line) <= SMTP_LINE_LENGTH for line in body.splitlines())
    return "7bit" if plain else "base64"


def _never_sendable(error: Exception) -> bool:
    """A message the mail client refuses to even send (a control character in an address) will
    never go; the network, the relay and its TLS may pass later (an SSL error is an OSError,
    though also a ValueError)."""
    return isinstance(error, ValueError) and not isinstance(error, OSError)


def _retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: 30 s, 1 min, 2 min … capped at 6 hours."""
    return min(timedelta(seconds=30 * 2 ** (attempts - 1)), timedelta(hours=6))


def _relay_unavailable(error: Exception) -> bool:
    """The relay did not answer in time or could not be reached: the next mail would only
    wait as long again, so the round ends and the sweep tries later."""
    return isinstance(error, TimeoutError | ConnectionError)


# A claimed mail is kept from other workers this much longer than its delivery may take.
CLAIM_MARGIN = timedelta(seconds=30)


async def deliver_pending(
    mailer: Mailer, *, mail_from: str, max_attempts: int, send_timeout: timedelta
) -> int:
    """Send due outbox mail; returns how many were sent.

    Each mail is claimed in a short transaction (``FOR UPDATE SKIP LOCKED``, so several
    workers never take one mail at once): its next attempt moves past the time its delivery
    may take (``send_timeout``), so no other worker takes it meanwhile, and a worker that dies
    while sending leaves it due again later. It is sent outside any transaction, so a relay
    that stalls holds no row lock and no connection (on SQLite, the only one) while others
    wait, and the outcome is recorded after. A failure is retried with back-off and given up
    (FAILED) after ``max_attempts``; a message the mail client refuses to even send (a
    malformed address) is given up at once. A relay that does not answer ends the round.
    """
    sent = 0
    lease = send_timeout + CLAIM_MARGIN
    while (row := await _claim_next(lease)) is not None:
        try:
            await mailer.send(_as_message(row, mail_from))
        except Exception as error:
            await _record_failure(row, error, max_attempts)
            if _relay_unavailable(error):
                break
        else:
            await _record_delivery(row)
            sent += 1
    return sent


async def _claim_next(lease: timedelta) -> OutboxEmail | None:
    """The oldest due mail, kept from other workers for ``lease``; None when none is due."""
    async with transaction():
        row = (
            await OutboxEmail.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=clock.now())
            .order_by("id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if row is not None:
            await OutboxEmail.filter(id=row.id).update(next_attempt_at=clock.now() + lease)
    return row


async def _record_failure(row: OutboxEmail, error: Exception, max_attempts: int) -> None:
    logger.warning("mail %s not delivered: %s", row.id, type(error).__name__)
    row.attempts += 1
    row.last_error = type(error).__name__
    row.next_attempt_at = clock.now() + _retry_delay(row.attempts)
    if _never_sendable(error) or row.attempts >= max_attempts:
        row.status = OutboxStatus.FAILED
    await row.save(update_fields=["attempts", "status", "last_error", "next_attempt_at"])


async def _record_delivery(row: OutboxEmail) -> None:
    row.attempts += 1
    row.status = OutboxStatus.SENT
    row.sent_at = clock.now()
    row.last_error = None
    row.body = ""  # delivered: keep no copy of its links and tokens
    row.headers = None
    await row.save(update_fields=["attempts", "status", "sent_at", "last_error", "body", "headers"])

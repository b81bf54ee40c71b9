"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.url = ""
        self.refuse = False
        self._held: tuple[threading.Event, threading.Event] | None = None
        # Cleared (``stall``), a message's DATA gets no reply until it is set again, and then
        # a refusal: a stalled relay. The server runs in a thread of its own, so a thread event.
        self._answering = threading.Event()
        self._answering.set()
        self.stalled = 0  # the deliveries waiting on a stalled DATA now

    @property
    def stall(self) -> bool:
        return not self._answering.is_set()

    @stall.setter
    def stall(self, stalling: bool) -> None:
        if stalling:
            self._answering.clear()
        else:
            self._answering.set()

    @contextmanager
    def holding(self) -> Iterator[threading.Event]:
        """Messages wait in DATA until the block ends (a slow relay); the event is set once
        one is waiting, so its sender is known to be in the middle of sending it. The server
        runs in a thread of its own, hence threading's events."""
        arrived, go_ahead = threading.Event(), threading.Event()
        self._held = arrived, go_ahead
        try:
            yield arrived
        finally:
            self._held = None
            go_ahead.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if (held := self._held) is not None:
            held[0].set()
            await asyncio.to_thread(held[1].wait)
        if self.stall:
            self.stalled += 1
            try:
                await asyncio.to_thread(self._answering.wait)
            finally:
                self.stalled -= 1
            return "451 Requested action aborted: the relay stalled"
        if self.refuse:
            return "451 Requested action aborted: try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        self.messages.clear()
        self.refuse = False
        self.stall = False

    async def until_stalled(self, within: float = 10) -> None:
        """A delivery is waiting on a stalled DATA."""
        deadline = asyncio.get_running_loop().time() + within
        while not self.stalled:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("no delivery reached the stalled relay")
            await asyncio.sleep(0.02)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, subject: str, within: float = 10) -> EmailMessage:
        """The first message to ``address`` whose subject contains ``subject``."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            for message in self.to(address):
                if subject in str(message["Subject"]):
                    return message
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no mail '{subject}' reached {address}")
            await asyncio.sleep(0.02)


def plain_part(message: EmailMessage) -> EmailMessage:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return body


def links_in(message: EmailMessage) -> list[str]:
    """Every link of the text, each of which must stand whole on a line of its own."""
    lines = plain_part(message).get_content().splitlines()
    return [line for line in lines if re.fullmatch(r"https?://\S+", line)]


def token_in(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"token=([A-Za-z0-9_-]+)", body.get_content())
    assert match, "the message carries no token"
    return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    mailbox.url = f"smtp://127.0.0.1:{port}"
    try:
        yield mailbox
    finally:
        controller.stop()

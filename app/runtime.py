"""Handles to the process's infrastructure, built once by the app and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from app.settings import Settings
from services.files import FileStore
from services.passwords import Passwords
from services.payments.provider import PaymentProvider
from services.throttle import Throttle


class Outbox(Protocol):
    async def wake(self) -> None:
        """Ask a worker to deliver pending mail now rather than at the next sweep."""


@dataclass
class Runtime:
    settings: Settings
    passwords: Passwords
    throttle: Throttle
    files: FileStore
    outbox: Outbox
    payments: PaymentProvider
    redis: Redis | None = None

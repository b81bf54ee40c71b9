"""Password hashing (argon2id, off the event loop) and the strength rule.

Policy: "your personal information is locked and secured by strong passwords" (P19).
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from core import limits
from core.errors import BadUserInput, ErrorCode
from core.settings import PasswordHashing


class Passwords:
    def __init__(self, cost: PasswordHashing) -> None:
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_cost_kib,
            parallelism=cost.parallelism,
        )
        # Verified against when an email is unknown, so a miss costs the same time as a hit.
        self._decoy_hash = self._hasher.hash("decoy password that nobody uses")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """False for an account without a password (third-party login) or an unknown one,
        after the same work as a real check, so timing tells nothing."""
        if password_hash is None:
            await asyncio.to_thread(self._verify, self._decoy_hash, password)
            return False
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)


def check_strength(password: str, *, field: str, personal_words: list[str]) -> None:
    """Refuse short, common, pattern-based or personal-word passwords with a reason."""
    if len(password) < limits.MIN_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Use at least {limits.MIN_PASSWORD_LENGTH} characters.",
            field=field,
            code=ErrorCode.WEAK_PASSWORD,
        )
    if len(password) > limits.MAX_PASSWORD_LENGTH:
        raise BadUserInput(
            f"Use at most {limits.MAX_PASSWORD_LENGTH} characters.",
            field=field,
            code=ErrorCode.WEAK_PASSWORD,
        )
    verdict = zxcvbn(password, user_inputs=[word for word in personal_words if word])
    if verdict["score"] < limits.MIN_PASSWORD_STRENGTH:
        advice = verdict["feedback"].get("warning") or "This password is easy to guess."
        raise BadUserInput(advice, field=field, code=ErrorCode.WEAK_PASSWORD)

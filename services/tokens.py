"""Opaque tokens the service hands out (sessions, mailed links, visitor cookies): random, and
stored only as a SHA-256, so a database leak hands out nothing live."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()

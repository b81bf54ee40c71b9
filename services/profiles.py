"""Editing one's own profile (P3, P21, P22): every editable personal field, and the photo."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from functools import cache

from app.runtime import Runtime
from models.accounts import User
from services.errors import BadUserInput

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
PHOTO_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"RIFF": ".webp"}
MAX_TAGS = 20
MAX_TAG_LENGTH = 40


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class ProfileChanges:
    """Only the fields a caller sent; ``None`` in a sent field clears it."""

    sent: frozenset[str]
    name: str | None = None
    timezone: str | None = None
    language: str | None = None
    bio: str | None = None
    expertise: list[str] | None = None


def _clean_expertise(tags: list[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if not tag or len(tag) > MAX_TAG_LENGTH:
            raise BadUserInput(
                f"Each expertise tag needs 1 to {MAX_TAG_LENGTH} characters.", field="expertise"
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise BadUserInput(f"Use at most {MAX_TAGS} expertise tags.", field="expertise")
    return cleaned


async def update_profile(user: User, changes: ProfileChanges) -> User:
    if "name" in changes.sent:
        name = (changes.name or "").strip()
        if len(name) > 120:
            raise BadUserInput("Use at most 120 characters.", field="name")
        user.name = name
    if "timezone" in changes.sent:
        if changes.timezone is not None and changes.timezone not in _known_timezones():
            raise BadUserInput("Use an IANA time zone such as Europe/Paris.", field="timezone")
        user.timezone = changes.timezone
    if "language" in changes.sent:
        if changes.language is not None and not LANGUAGE_TAG.match(changes.language):
            raise BadUserInput("Use a language tag such as en or pt-BR.", field="language")
        user.language = changes.language
    if "bio" in changes.sent:
        if changes.bio is not None and len(changes.bio) > 4000:
            raise BadUserInput("Use at most 4000 characters.", field="bio")
        user.bio = changes.bio or None  # type: ignore[assignment]
    if "expertise" in changes.sent:
        user.expertise = _clean_expertise(changes.expertise or [])
    await user.save()
    return user


def photo_suffix(data: bytes) -> str:
    """The file suffix for a PNG, JPEG or WebP image, judged by its bytes, not its name."""
    for magic, suffix in PHOTO_TYPES.items():
        if data.startswith(magic) and (suffix != ".webp" or data[8:12] == b"WEBP"):
            return suffix
    raise BadUserInput("Upload a PNG, JPEG or WebP image.", field="photo")


async def set_profile_photo(runtime: Runtime, user: User, data: bytes) -> User:
    limit = runtime.settings.max_upload_bytes
    if len(data) > limit:
        raise BadUserInput(f"Upload at most {limit // (1024 * 1024)} MiB.", field="photo")
    if not data:
        raise BadUserInput("The file is empty.", field="photo")
    key = await runtime.files.put(data, suffix=photo_suffix(data))
    previous = user.photo_key
    user.photo_key = key
    await user.save(update_fields=["photo_key", "updated_at"])
    if previous:
        await runtime.files.delete(previous)
    return user


async def remove_profile_photo(runtime: Runtime, user: User) -> User:
    if user.photo_key:
        previous = user.photo_key
        user.photo_key = None
        await user.save(update_fields=["photo_key", "updated_at"])
        await runtime.files.delete(previous)
    return user

"""Editing one's own profile (P3, P21, P22): every editable personal field, and the photo."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from core import limits
from core.errors import BadUserInput
from core.runtime import Runtime
from models.accounts import User
from services.images import StoredImage, reencoded
from services.profile_fields import LANGUAGE_TAG, checked_text, checked_timezone, clean_tags
from services.transactions import transaction


@dataclass(frozen=True)
class ProfileChanges:
    """Only the fields a caller sent; ``None`` in a sent field clears it."""

    sent: frozenset[str]
    name: str | None = None
    timezone: str | None = None
    language: str | None = None
    bio: str | None = None
    expertise: list[str] | None = None


async def update_profile(user: User, changes: ProfileChanges) -> User:
    if "name" in changes.sent:
        user.name = checked_text(changes.name, field="name", limit=limits.MAX_NAME_LENGTH)
    if "timezone" in changes.sent:
        user.timezone = checked_timezone(changes.timezone)
    if "language" in changes.sent:
        if changes.language is not None and not LANGUAGE_TAG.match(changes.language):
            raise BadUserInput("Use a language tag such as en or pt-BR.", field="language")
        user.language = changes.language
    if "bio" in changes.sent:
        if changes.bio is not None and len(changes.bio) > limits.MAX_BIO_LENGTH:
            raise BadUserInput(f"Use at most {limits.MAX_BIO_LENGTH} characters.", field="bio")
        user.bio = changes.bio or None  # type: ignore[assignment]
    if "expertise" in changes.sent:
        user.expertise = clean_tags(changes.expertise or [], field="expertise")
    await user.save()
    return user


async def _checked_photo(runtime: Runtime, data: bytes) -> StoredImage:
    """An acceptable photo as we store it: within the upload limit, an image Pillow decodes
    (PNG, JPEG or WebP), written again without its metadata (``services.images``)."""
    limit = runtime.settings.max_upload_bytes
    if len(data) > limit:
        raise BadUserInput(f"Upload at most {limit // (1024 * 1024)} MiB.", field="photo")
    if not data:
        raise BadUserInput("The file is empty.", field="photo")
    return await asyncio.to_thread(reencoded, data)


async def set_profile_photo(runtime: Runtime, user: User, data: bytes) -> User:
    photo = await _checked_photo(runtime, data)
    key = await runtime.files.put(photo.data, suffix=photo.suffix)
    try:
        previous = await _point_photo_at(user, key)
    except BaseException:
        await runtime.files.delete(key)  # never recorded: no file may outlive the attempt
        raise
    if previous:
        await runtime.files.delete(previous)
    return user


async def fill_empty_profile_photo(runtime: Runtime, user: User, data: bytes) -> bool:
    """Make ``data`` the photo of a profile that has none, with the checks and store of
    ``set_profile_photo``; False, and nothing kept, when the profile got one meanwhile."""
    photo = await _checked_photo(runtime, data)
    key = await runtime.files.put(photo.data, suffix=photo.suffix)
    try:
        async with transaction():
            row = await User.filter(id=user.id).select_for_update().get()
            if row.photo_key is None:
                row.photo_key = key
                await row.save(update_fields=["photo_key", "updated_at"])
    except BaseException:
        await runtime.files.delete(key)
        raise
    if row.photo_key != key:
        await runtime.files.delete(key)
        return False
    user.photo_key = key
    return True


async def remove_profile_photo(runtime: Runtime, user: User) -> User:
    previous = await _point_photo_at(user, None)
    if previous:
        await runtime.files.delete(previous)
    return user


async def _point_photo_at(user: User, key: str | None) -> str | None:
    """Point the profile at ``key`` under a row lock and answer the key it replaced, so
    uploads at the same time each delete the file before theirs and none is left behind (P22)."""
    async with transaction():
        row = await User.filter(id=user.id).select_for_update().get()
        previous = row.photo_key
        row.photo_key = key
        await row.save(update_fields=["photo_key", "updated_at"])
    user.photo_key = key
    return previous

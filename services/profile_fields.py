"""Checks shared by the two profiles a person edits: their own and their mentor profile."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Sequence
from functools import cache

from core import limits
from core.errors import BadUserInput

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def checked_timezone(value: str | None, *, field: str = "timezone") -> str | None:
    """An IANA time zone, or None to clear it."""
    if value is not None and value not in _known_timezones():
        raise BadUserInput("Use an IANA time zone such as Europe/Paris.", field=field)
    return value


def checked_text(value: str | None, *, field: str, limit: int) -> str:
    """Trimmed text of at most ``limit`` characters; nothing sent is the empty text."""
    text = (value or "").strip()
    if len(text) > limit:
        raise BadUserInput(f"Use at most {limit} characters.", field=field)
    return text


def clean_tags(
    tags: Sequence[str],
    *,
    field: str,
    limit: int = limits.MAX_EXPERTISE_TAGS,
    languages: bool = False,
) -> list[str]:
    """Lower-case, trimmed, de-duplicated tags in the order given; language tags checked."""
    cleaned: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not tag or len(tag) > limits.MAX_TAG_LENGTH:
            raise BadUserInput(
                f"Each tag needs 1 to {limits.MAX_TAG_LENGTH} characters.", field=field
            )
        if languages and not LANGUAGE_TAG.match(tag):
            raise BadUserInput("Use language tags such as en or pt-br.", field=field)
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > limit:
        raise BadUserInput(f"Use at most {limit} tags.", field=field)
    return cleaned

"""Analytics without a person (P12, P17): the daily counts raw interactions are rolled into
once their retention ends, and the figures staff read, built from those counts and from live
counts of the rows not rolled up yet. No answer here names a user, a visitor, an address or
a path holding an id.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import unquote

from tortoise.expressions import F, Q
from tortoise.functions import Count, Sum

from core import limits
from core.errors import BadUserInput
from models.accounts import User
from models.interactions import DailyInteractionCount, Interaction, InteractionKind
from models.marketplace import Job, JobStatus, Post
from services.access.decisions import Access
from services.transactions import transaction

K = InteractionKind
VIEWS = (K.PAGE_VIEW, K.POST_VIEW)
ID_PLACEHOLDER = ":id"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A token, hash or encoded id: long, made of URL-safe characters, with a digit in it.
_TOKEN = re.compile(r"(?=.*\d)[A-Za-z0-9_=-]{16,}")
_GLOBAL_ID = re.compile(r"[A-Za-z]+:\d+")
# A number standing on its own in a segment (42, post-42), not part of a word (v2, h1).
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\d+(?![A-Za-z0-9])")


def _is_global_id(segment: str) -> bool:
    """A Relay global ID: base64 of ``Type:row id``."""
    try:
        decoded = base64.b64decode(segment, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return _GLOBAL_ID.fullmatch(decoded) is not None


def _pattern_of_segment(raw: str) -> str:
    segment = unquote(raw)
    if "@" in segment or _UUID.fullmatch(segment) or _TOKEN.fullmatch(segment):
        return ID_PLACEHOLDER
    if segment and _is_global_id(segment):
        return ID_PLACEHOLDER
    return _NUMBER.sub(ID_PLACEHOLDER, segment)


def path_pattern(path: str | None) -> str | None:
    """The page a path is an instance of: every segment that names one thing (a number, a
    UUID, a global ID, a token, an address) replaced by ``:id``. ``/posts/42`` and
    ``/posts/43`` are the same page, and neither says whose."""
    if path is None:
        return None
    return "/".join(_pattern_of_segment(segment) for segment in path.split("/"))


# Rolling up.

CountKey = tuple[date, InteractionKind, str | None, int | None, str | None]


async def roll_up(older_than: datetime) -> int:
    """Count the interactions that occurred before ``older_than`` into the daily counts and
    delete them; answers how many were rolled up.

    Crash-safe and idempotent by transaction: each batch of rows is counted and deleted in
    one transaction, so a crash undoes both and a re-run counts the same rows once, never
    twice. Rows are claimed ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so sweeps running side
    by side in several processes each take rows the others did not; a row another sweep
    deleted first is never seen again. Counts are added to a key's existing row in one
    order, so two sweeps wait for each other instead of deadlocking.
    """
    rolled = 0
    while batch := await _roll_up_batch(older_than):
        rolled += batch
    return rolled


async def _roll_up_batch(older_than: datetime) -> int:
    async with transaction():
        rows = (
            await Interaction.filter(occurred_at__lt=older_than)
            .order_by("id")
            .limit(limits.MAX_ROLLUP_BATCH)
            .select_for_update(skip_locked=True)
        )
        counts: Counter[CountKey] = Counter(
            (row.day, row.kind, path_pattern(row.path), row.post_id, row.browser_family)
            for row in rows
        )
        for key in sorted(counts, key=repr):
            await _add(key, counts[key])
        await Interaction.filter(id__in=[row.id for row in rows]).delete()
    return len(rows)


async def _add(key: CountKey, count: int) -> None:
    """Add to the key's oldest row, or start one. Two sweeps that both start the same key
    split its count over two rows, which every reader sums."""
    day, kind, path, post_id, browser_family = key
    existing = (
        await DailyInteractionCount.filter(
            day=day, kind=kind, path=path, post_id=post_id, browser_family=browser_family
        )
        .order_by("id")
        .first()
    )
    if existing is None:
        await DailyInteractionCount.create(
            day=day,
            kind=kind,
            path=path,
            post_id=post_id,
            browser_family=browser_family,
            count=count,
        )
    else:
        await DailyInteractionCount.filter(id=existing.id).update(count=F("count") + count)


# What staff read.


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days, both ends included."""

    first: date
    last: date

    @classmethod
    def checked(cls, first: date, last: date) -> DateRange:
        if last < first:
            raise BadUserInput("`to` must not come before `from`.", field="to")
        if (last - first).days + 1 > limits.MAX_ANALYTICS_DAYS:
            raise BadUserInput(
                f"Ask for at most {limits.MAX_ANALYTICS_DAYS} days at once.", field="range"
            )
        return cls(first, last)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    @property
    def starts(self) -> datetime:
        return datetime.combine(self.first, time(), UTC)

    @property
    def ends(self) -> datetime:
        """The first moment after the range."""
        return datetime.combine(self.last + timedelta(days=1), time(), UTC)


@dataclass(frozen=True)
class DailyViews:
    day: date
    page_views: int
    post_views: int


@asynccontextmanager
async def _one_snapshot() -> AsyncIterator[None]:
    """Read the daily counts and the live rows as of one moment: a sweep committing between
    the two reads would otherwise show its rows twice or not at all. SQLite's transactions
    see one snapshot already; PostgreSQL's default re-reads per statement."""
    async with transaction() as connection:
        if connection.capabilities.dialect == "postgres":
            await connection.execute_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


async def _counted(
    access: Access, span: DateRange, kinds: tuple[InteractionKind, ...], *columns: str
) -> Counter[tuple[Any, ...]]:
    """Interactions of ``kinds`` in ``span`` counted per ``columns``: the rolled-up counts
    staff may read, plus live counts over everyone's rows (counts, never a row). A live
    path is counted as its pattern, as it will be once rolled up."""
    where = Q(day__gte=span.first, day__lte=span.last, kind__in=kinds)
    totals: Counter[tuple[Any, ...]] = Counter()
    async with _one_snapshot():
        rolled = await (
            access.visible(DailyInteractionCount)
            .filter(where)
            .annotate(total=Sum("count"))
            .group_by(*columns)
            .values_list(*columns, "total")
        )
        live = await (
            Interaction.filter(where)
            .annotate(total=Count("id"))
            .group_by(*columns)
            .values_list(*columns, "total")
        )
    for *key, total in rolled:
        totals[tuple(key)] += int(total)
    for *key, total in live:
        shaped = [
            path_pattern(value) if column == "path" else value
            for column, value in zip(columns, key, strict=True)
        ]
        totals[tuple(shaped)] += int(total)
    return totals


def _ranked(totals: Counter[tuple[Any, ...]]) -> list[tuple[Any, int]]:
    """Most counted first, ties in a stable order; keys of one column, unpacked."""
    return sorted(
        ((key[0], total) for key, total in totals.items()), key=lambda kv: (-kv[1], repr(kv[0]))
    )


async def views_per_day(access: Access, span: DateRange) -> list[DailyViews]:
    totals = await _counted(access, span, VIEWS, "day", "kind")
    return [
        DailyViews(day, totals[(day, K.PAGE_VIEW)], totals[(day, K.POST_VIEW)]) for day in span.days
    ]


async def top_posts(access: Access, span: DateRange, limit: int) -> list[tuple[int, int]]:
    """(post id, views) of the most viewed posts the viewer may see."""
    ranked = [
        (post_id, views)
        for post_id, views in _ranked(await _counted(access, span, (K.POST_VIEW,), "post_id"))
        if post_id is not None
    ]
    shown = set(
        await access.visible(Post)
        .filter(id__in=[post_id for post_id, _ in ranked])
        .values_list("id", flat=True)
    )
    return [(post_id, views) for post_id, views in ranked if post_id in shown][:limit]


async def top_pages(access: Access, span: DateRange, limit: int) -> list[tuple[str, int]]:
    """(path pattern, views) of the most viewed pages."""
    ranked = _ranked(await _counted(access, span, VIEWS, "path"))
    return [(path, views) for path, views in ranked if path is not None][:limit]


async def browsers(access: Access, span: DateRange) -> list[tuple[str | None, int]]:
    """(browser family, views), most used first; None for browsers nobody recognised."""
    return _ranked(await _counted(access, span, VIEWS, "browser_family"))


async def sign_ups_per_day(span: DateRange) -> list[tuple[date, int]]:
    created = User.filter(created_at__gte=span.starts, created_at__lt=span.ends)
    per_day = Counter(
        moment.astimezone(UTC).date() for (moment,) in await created.values_list("created_at")
    )
    return [(day, per_day[day]) for day in span.days]


async def jobs_per_status(span: DateRange) -> list[tuple[JobStatus, int]]:
    """Jobs requested in the range, by the status they are in now."""
    counted: dict[str, int] = dict(
        await Job.filter(created_at__gte=span.starts, created_at__lt=span.ends)
        .annotate(jobs=Count("id"))
        .group_by("status")
        .values_list("status", "jobs")
    )
    return [(status, int(counted.get(status, 0))) for status in JobStatus]

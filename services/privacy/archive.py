"""What a data export (or a legal disclosure) holds, read from the personal-data registry alone.

For every model with an owner: the user's own rows (those its ``exported_rows`` keep) and,
where the model names a counterparty, the rows where the user is that counterparty (jobs as
mentor, testimonials received). Each row holds every field the registry exports, as far as
the user may read it, decided by ``Access`` as for any other read: a counterparty row shows
what the counterparty sees (an anonymous testimonial's author is absent). A legal disclosure
walks the same way with a category filter: only the fields of the requested categories, and
only the models that have one. A model or field added to the registry later appears here
with no change to this module.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

import orjson
from tortoise.models import Model
from tortoise.queryset import QuerySet

from core import limits
from core.runtime import FileStore
from models.accounts import User
from services.access.decisions import Access
from services.access.policy import Category, Export, ModelPrivacy
from services.access.registry import REGISTRY

FORMAT_VERSION = 1
README = """\
A copy of your data at mentor-api
=================================

data.json holds everything the service keeps about you, exported {exported_at}:

  "models"   one entry per kind of record, by name (User, Post, Job, ...), each with
    "fields"   every field such a record carries, with its category of personal data
               (CONTACT, IDENTITY, FINANCIAL, ...; null: not personal data), and
    "rows"     your records: your own, and those where you are the other party (jobs
               as a mentor, testimonials about you). A row leaves out a field you may
               not read (the author of an anonymous testimonial about you); references
               to other records are their ids.

Times are ISO 8601 in UTC. A field holding a file (your photo) names its path in this
archive, under files/. Secrets (password hashes, session tokens) are not included.
"""


def exportable_fields(
    privacy: ModelPrivacy, categories: Collection[Category] | None = None
) -> dict[str, Category | None]:
    """Every field of a model an export carries, with its category (None: not personal);
    with ``categories``, only the personal fields of those."""
    found: dict[str, Category | None] = {}
    if categories is None:
        found.update(dict.fromkeys(privacy.not_personal))
        found.update(dict.fromkeys(privacy.restricted))
    for name, rule in privacy.personal.items():
        if rule.export is not Export.OMIT and (categories is None or rule.category in categories):
            found[name] = rule.category
    return dict(sorted(found.items()))


@dataclass
class Archive:
    """data.json's content and the files that go beside it."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


async def _pages(query: QuerySet[Model], joins: tuple[str, ...]) -> AsyncIterator[list[Model]]:
    """The rows of ``query`` by primary key, a batch at a time."""
    if joins:
        query = query.select_related(*joins)
    key = query.model._meta.pk_attr
    last = 0
    while True:
        after: dict[str, Any] = {f"{key}__gt": last}
        page = await query.filter(**after).order_by(key).limit(limits.MAX_EXPORT_BATCH)
        if page:
            yield page
        if len(page) < limits.MAX_EXPORT_BATCH:
            return
        last = page[-1].pk


def _value(row: Model, name: str) -> object:
    """A field's value; a reference as the id it holds."""
    meta = row._meta
    if name in meta.fk_fields or name in meta.o2o_fields:
        return getattr(row, meta.fields_map[name].source_field or f"{name}_id")
    return getattr(row, name)


class _Collector:
    def __init__(
        self, user: User, files: FileStore, categories: Collection[Category] | None
    ) -> None:
        # The user as a person: a staff permission they hold opens other people's fields at
        # work, never in their own copy.
        self.access = Access.of(User(id=user.id))
        self.user_id = user.id
        self.store = files
        self.categories = categories
        self.archive = Archive()

    async def model(self, model: type[Model], privacy: ModelPrivacy) -> None:
        fields = exportable_fields(privacy, self.categories)
        if not fields:
            return  # none of the requested categories: the model is left out
        rows: dict[int, dict[str, object]] = {}
        assert privacy.owner is not None
        own = model.filter(**{privacy.owner: self.user_id})
        if privacy.exported_rows is not None:
            own = own.filter(privacy.exported_rows.where())
        queries = [(own, False)]
        if privacy.counterparty is not None:
            queries.append((model.filter(**{privacy.counterparty: self.user_id}), True))
        for query, as_counterparty in queries:
            async for page in _pages(query, privacy.rows.joins):
                for row in page:
                    if row.pk in rows:
                        continue
                    if as_counterparty and not await self.access.may_see(row):
                        continue
                    rows[row.pk] = await self._row(row, privacy, fields)
        ordered = [rows[pk] for pk in sorted(rows)]
        self.archive.models[model.__name__] = {"fields": fields, "rows": ordered}

    async def _row(
        self, row: Model, privacy: ModelPrivacy, fields: dict[str, Category | None]
    ) -> dict[str, object]:
        shown: dict[str, object] = {}
        for name in fields:
            if name in privacy.read_rules and not await self._readable(row, name):
                continue
            value = _value(row, name)
            rule = privacy.personal.get(name)
            if rule is not None and rule.export is Export.FILE and isinstance(value, str):
                value = await self._file(row, name, value)
            shown[name] = value
        return shown

    async def _readable(self, row: Model, name: str) -> bool:
        decided = self.access.field_now(row, name)
        return decided if decided is not None else await self.access.may_read(row, name)

    async def _file(self, row: Model, name: str, key: str) -> str | None:
        """The file's path in the archive, its bytes added; None when the store lost it."""
        data = await self.store.get(key)
        if data is None:
            return None
        suffix = PurePosixPath(key).suffix
        path = f"files/{type(row).__name__}/{row.pk}/{name}{suffix}"
        self.archive.files[path] = data
        return path


async def collect(
    user: User, files: FileStore, categories: Collection[Category] | None = None
) -> Archive:
    """Everything of ``user`` the registry exports (only the fields of ``categories``, when
    given), as data.json will hold it."""
    collector = _Collector(user, files, categories)
    for model, privacy in sorted(REGISTRY.items(), key=lambda item: item[0].__name__):
        if privacy.owner is not None:
            await collector.model(model, privacy)
    return collector.archive


def _json_safe(value: object) -> object:
    """What orjson does not write itself (Decimal, and anything a model adds later)."""
    return str(value)


@dataclass(frozen=True)
class Cover:
    """What an archive says of itself: data.json's leading keys, and README.txt."""

    about: dict[str, object]
    readme: str


def export_cover(user_id: int, exported_at: datetime) -> Cover:
    """A user's own copy of their data."""
    return Cover(
        {"format": FORMAT_VERSION, "user": user_id, "exported_at": exported_at},
        README.format(exported_at=exported_at.isoformat()),
    )


def zipped(archive: Archive, cover: Cover) -> bytes:
    data = {**cover.about, "models": archive.models}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as written:
        written.writestr("README.txt", cover.readme)
        written.writestr(
            "data.json", orjson.dumps(data, default=_json_safe, option=orjson.OPT_INDENT_2)
        )
        for path, content in sorted(archive.files.items()):
            written.writestr(path, content)
    return buffer.getvalue()


async def build(
    user: User, files: FileStore, cover: Cover, categories: Collection[Category] | None = None
) -> bytes:
    """The ZIP archive of ``user``'s data (of ``categories`` only, when given); compressed
    off the event loop."""
    archive = await collect(user, files, categories)
    return await asyncio.to_thread(zipped, archive, cover)

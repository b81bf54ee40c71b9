"""Persisted queries, as Apollo's APQ protocol has them, over our trusted documents.

A request carrying ``extensions.persistedQuery {version: 1, sha256Hash}`` and no ``query`` runs
the document with that hash: a trusted document (``services.documents``), or one a client was
allowed to register. An unknown hash answers PERSISTED_QUERY_NOT_FOUND with the message
"PersistedQueryNotFound" that Apollo's clients look for; they then send the hash with the
query, and the server checks that the hash is the query's before running it, and keeps it.

Who is *unrestricted* — a development server's clients, and staff (GraphiQL) — may register
documents and, with ``TRUSTED_DOCUMENTS_ONLY`` on, still send any document. Everyone else is
then held to the trusted documents, by hash or by identical text; registered documents are a
cache of text, not trusted, so they never widen what a restricted client may run.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from core import limits
from core.errors import DomainError, ErrorCode
from core.settings import Settings
from services.access.viewer import Viewer
from services.documents import TrustedDocuments, sha256_hex

logger = logging.getLogger("mentor_api.persisted_queries")

APQ_VERSION = 1
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# Apollo's clients recognise the refusal by this message (or the code).
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"


class MalformedPersistedQuery(ValueError):
    """``extensions.persistedQuery`` is not version 1 with a SHA-256 hash: a BAD_REQUEST."""


class PersistedQueryNotFound(DomainError):
    code = ErrorCode.PERSISTED_QUERY_NOT_FOUND

    def __init__(self) -> None:
        super().__init__(NOT_FOUND_MESSAGE)


class PersistedQueryHashMismatch(DomainError):
    code = ErrorCode.PERSISTED_QUERY_HASH_MISMATCH

    def __init__(self) -> None:
        super().__init__("The sha256Hash of extensions.persistedQuery is not the query's.")


class PersistedQueryNotAllowed(DomainError):
    code = ErrorCode.PERSISTED_QUERY_NOT_ALLOWED

    def __init__(self) -> None:
        super().__init__(
            "This server runs only its trusted documents for this client: send one, or its "
            "sha256Hash in extensions.persistedQuery (`mentor-api documents` lists them)."
        )


def is_unrestricted(viewer: Viewer, settings: Settings) -> bool:
    """Development servers and staff may register documents and send any document."""
    return settings.development or (viewer.user is not None and viewer.user.is_staff)


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash a request names in ``extensions.persistedQuery``, or None when it names none."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise MalformedPersistedQuery("extensions.persistedQuery must have version 1.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256.lower()):
        raise MalformedPersistedQuery(
            "extensions.persistedQuery.sha256Hash must be a SHA-256 in 64 hex digits."
        )
    return sha256.lower()


class QueryStore(Protocol):
    """Registered documents by hash, bounded, the least recently used dropped first. Never
    raises: a store that cannot be reached holds nothing and keeps nothing."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, text: str) -> None: ...


class MemoryQueryStore:
    """This process's own: the embedded default is one process."""

    def __init__(self, capacity: int = limits.MAX_PERSISTED_QUERIES) -> None:
        self._capacity = capacity
        self._texts: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        text = self._texts.get(sha256)
        if text is not None:
            self._texts.move_to_end(sha256)
        return text

    async def put(self, sha256: str, text: str) -> None:
        self._texts[sha256] = text
        self._texts.move_to_end(sha256)
        while len(self._texts) > self._capacity:
            self._texts.popitem(last=False)


# KEYS: texts (hash), uses (sorted set scored by Redis's own clock, shared by every process).
_GET = """
local text = redis.call('HGET', KEYS[1], ARGV[1])
if text then
  local now = redis.call('TIME')
  redis.call('ZADD', KEYS[2], 'XX', now[1] + now[2] / 1e6, ARGV[1])
end
return text
"""
_PUT = """
local now = redis.call('TIME')
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now[1] + now[2] / 1e6, ARGV[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local dropped = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #dropped, 2 do redis.call('HDEL', KEYS[1], dropped[i]) end
end
return 0
"""


class RedisQueryStore:
    """Shared by every process on one Redis; each read and write is one atomic script."""

    def __init__(
        self, redis: Redis, prefix: str, capacity: int = limits.MAX_PERSISTED_QUERIES
    ) -> None:
        self._keys = [f"{prefix}persisted-queries:texts", f"{prefix}persisted-queries:uses"]
        self._capacity = capacity
        self._get = redis.register_script(_GET)
        self._put = redis.register_script(_PUT)
        self._failing = False

    async def get(self, sha256: str) -> str | None:
        try:
            text = await self._get(keys=self._keys, args=[sha256])
        except RedisError as error:
            self._failed(error)
            return None
        self._failing = False
        return text.decode() if isinstance(text, bytes) else text

    async def put(self, sha256: str, text: str) -> None:
        try:
            await self._put(keys=self._keys, args=[sha256, text, self._capacity])
        except RedisError as error:
            self._failed(error)
            return
        self._failing = False

    def _failed(self, error: RedisError) -> None:
        """Logged once as the outage starts, not on every request during it."""
        if not self._failing:
            logger.warning("persisted queries unavailable: %s", type(error).__name__)
        self._failing = True


def query_store(redis: Redis | None, prefix: str) -> QueryStore:
    return MemoryQueryStore() if redis is None else RedisQueryStore(redis, prefix)


@dataclass(frozen=True)
class Resolved:
    """The document to run, and the hash to keep it under once it ran (None: keep nothing)."""

    query: str | None
    register_as: str | None = None


class PersistedQueries:
    """Turns what a request sent (``query``, ``extensions``) into the document to run."""

    def __init__(self, trusted: TrustedDocuments, store: QueryStore) -> None:
        self.trusted = trusted
        self.store = store

    async def resolve(
        self,
        query: str | None,
        extensions: dict[str, Any] | None,
        *,
        unrestricted: bool,
        trusted_only: bool,
    ) -> Resolved:
        """MalformedPersistedQuery for a bad extension; the DomainErrors above for a refusal."""
        held = trusted_only and not unrestricted
        sha256 = requested_hash(extensions)
        if sha256 is None:
            if held and query is not None and self.trusted.by_text(query) is None:
                raise PersistedQueryNotAllowed()
            return Resolved(query)
        if query is not None:
            return self._with_text(sha256, query, held=held, unrestricted=unrestricted)
        trusted = self.trusted.by_hash(sha256)
        if trusted is not None:
            return Resolved(trusted.text)
        registered = None if held else await self.store.get(sha256)
        if registered is None:
            raise PersistedQueryNotFound()
        return Resolved(registered)

    def _with_text(self, sha256: str, query: str, *, held: bool, unrestricted: bool) -> Resolved:
        if sha256_hex(query) != sha256:
            raise PersistedQueryHashMismatch()
        if self.trusted.by_hash(sha256) is not None:
            return Resolved(query)
        if held:
            raise PersistedQueryNotAllowed()
        keep = unrestricted and len(query) <= limits.MAX_PERSISTED_QUERY_LENGTH
        return Resolved(query, register_as=sha256 if keep else None)

    async def register(self, resolved: Resolved) -> None:
        """Keep a document that ran (it parsed and validated), under the hash it came with."""
        if resolved.register_as is not None and resolved.query is not None:
            await self.store.put(resolved.register_as, resolved.query)

"""Typed keys for what the aiohttp app holds."""

from __future__ import annotations

from aiohttp import web

from core.runtime import Runtime
from services.persisted_queries import PersistedQueries

RUNTIME = web.AppKey("runtime", Runtime)
REQUEST_ID = web.RequestKey("request_id", str)
# The media type a GraphQL answer takes (None: the client accepts none we serve).
RESPONSE_MEDIA_TYPE: web.RequestKey[str | None] = web.RequestKey("response_media_type")
# The trusted documents and the documents registered by hash (services.persisted_queries).
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)

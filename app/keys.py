"""Typed keys for what the aiohttp app holds."""

from __future__ import annotations

from aiohttp import web

from core.request_scope import RequestScope
from core.runtime import Runtime
from resolvers.plans.catalog import Plans
from services.persisted_queries import PersistedQueries

RUNTIME = web.AppKey("runtime", Runtime)
REQUEST_ID = web.RequestKey("request_id", str)
# What its log lines say of a request (core.request_scope), for the access log line too.
REQUEST_SCOPE = web.RequestKey("request_scope", RequestScope)
# The media type a GraphQL answer takes (None: the client accepts none we serve).
RESPONSE_MEDIA_TYPE: web.RequestKey[str | None] = web.RequestKey("response_media_type")
# The trusted documents and the documents registered by hash (services.persisted_queries).
PERSISTED_QUERIES = web.AppKey("persisted_queries", PersistedQueries)
# The trusted queries' plans (resolvers.plans): `enabled` switches them at run time.
PLANS = web.AppKey("plans", Plans)

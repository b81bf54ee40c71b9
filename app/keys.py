"""Typed keys for what the aiohttp app holds."""

from __future__ import annotations

from aiohttp import web

from core.runtime import Runtime

RUNTIME = web.AppKey("runtime", Runtime)
REQUEST_ID = web.RequestKey("request_id", str)

"""An access log without personal data: no client address, no query string, no referrer.

A GET query carries its variables (an email, a name) in the URL, and an IP address is personal
data (P5), so the log keeps only what operating the service needs.
"""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from app.keys import REQUEST_ID, REQUEST_SCOPE


class PrivateAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %.1fms request=%s",
            request.method,
            request.path,
            response.status,
            time * 1000,
            request.get(REQUEST_ID, "-"),
            extra={"request_id": request.get(REQUEST_ID), "operation": _operation(request)},
        )


def _operation(request: BaseRequest) -> str | None:
    scope = request.get(REQUEST_SCOPE)
    return scope.operation if scope is not None else None

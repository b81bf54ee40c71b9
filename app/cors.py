"""CORS: the web clients on ``CORS_ORIGINS`` may call the API from their own origin, with the
user's cookies; every other origin gets no CORS header at all, so the browser refuses.

A small middleware rather than aiohttp-cors: that library refuses a resource routed for every
method (``"*"``, which Strawberry's view needs for GET, POST and the WebSocket upgrade) and
never sends ``Vary: Origin``, which a cache needs when the answer depends on the origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import hdrs, web
from aiohttp.typedefs import Middleware
from strawberry.http.websocket_origin import normalize_allowed_origins, normalize_origin

from app.routes import POLICY_VERSION_HEADER
from app.sessions import CSRF_HEADER
from core.settings import ConfigurationError

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a web client calls with fetch(): the API, and the policy text it shows. Media load in
# <img> and archives download by navigation, which CORS does not govern.
CORS_PATHS = frozenset({"/graphql", "/privacy-policy"})
ALLOWED_METHODS = "GET, POST"
ALLOWED_HEADERS = ", ".join(("Content-Type", "Authorization", CSRF_HEADER, "X-Request-Id"))
EXPOSED_HEADERS = ", ".join(("X-Request-Id", POLICY_VERSION_HEADER))
# How long a browser may reuse a preflight's answer (Chromium keeps it two hours at most).
PREFLIGHT_MAX_AGE_SECONDS = 600


def allowed_origins(configured: Iterable[str]) -> frozenset[str]:
    """The configured origins, as browsers send them; "*" is refused: an origin allowed here
    reads the answers to its visitors' own cookies, their personal data included."""
    origins = tuple(configured)
    if "*" in origins:
        raise ConfigurationError(
            "CORS_ORIGINS cannot be '*': list the web clients' origins (https://app.example)"
        )
    try:
        return normalize_allowed_origins(origins)
    except ValueError as error:
        raise ConfigurationError(f"CORS_ORIGINS: {error}") from None


def _is_preflight(request: web.Request) -> bool:
    return (
        request.method == hdrs.METH_OPTIONS
        and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
    )


def _vary_on_origin(response: web.StreamResponse) -> None:
    vary = response.headers.get(hdrs.VARY, "")
    if "origin" not in {part.strip().lower() for part in vary.split(",")}:
        response.headers[hdrs.VARY] = f"{vary}, Origin" if vary else "Origin"


def _decorate(response: web.StreamResponse, origin: str | None) -> None:
    if response.prepared:  # a WebSocket: its origin check is the view's
        return
    _vary_on_origin(response)
    if origin is not None:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = EXPOSED_HEADERS


def cors(configured: Iterable[str]) -> Middleware:
    origins = allowed_origins(configured)

    def allowed(request: web.Request) -> str | None:
        origin = request.headers.get(hdrs.ORIGIN)
        return origin if origin and normalize_origin(origin) in origins else None

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in CORS_PATHS:
            return await handler(request)
        origin = allowed(request)
        if _is_preflight(request):
            return _preflight_answer(origin)
        try:
            response = await handler(request)
        except web.HTTPException as error:  # a 405 or 404 is read by the client too
            _decorate(error, origin)
            raise
        _decorate(response, origin)
        return response

    return middleware


def _preflight_answer(origin: str | None) -> web.Response:
    """The browser asks before a JSON POST or a request with our headers. A foreign origin
    gets a plain 403 with no CORS header: the browser then never sends the request."""
    if origin is None:
        response = web.Response(status=403, text="This origin is not in CORS_ORIGINS.")
    else:
        response = web.Response(
            status=204,
            headers={
                hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: origin,
                hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS: "true",
                hdrs.ACCESS_CONTROL_ALLOW_METHODS: ALLOWED_METHODS,
                hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
                hdrs.ACCESS_CONTROL_MAX_AGE: str(PREFLIGHT_MAX_AGE_SECONDS),
            },
        )
    _vary_on_origin(response)
    return response

"""social-auth-core on aiohttp and Tortoise: our Strategy and Storage.

How the synchronous library meets the async server. The library's work (building the
authorization URL, checking the state, exchanging the code, reading the user's data) is
blocking ``requests`` code, so ``begin`` and ``finish`` run it in ``asyncio.to_thread``. It
needs three kinds of state while it runs:

- request data, settings and redirects: plain values the strategy is built with, in the loop;
- the *session*: a dict loaded from a ``SocialFlow`` row before the thread starts and saved
  by the caller after it ends, so the thread only ever touches memory;
- the *storage* (the state nonce, the OpenID Connect nonce): these must be atomic across
  processes, so they are database rows. The storage methods run in the library's thread and
  hand each query back to the server's event loop with ``asyncio.run_coroutine_threadsafe``,
  waiting for its answer. ``to_thread`` copies the context, so the loop it reads from
  ``_LOOP`` is the one the request runs on, and Tortoise's connection context goes along.
  The loop is free meanwhile: it only awaits the thread.

The library's pipeline is not run: ``authenticate`` hands the provider's answer back instead,
and the account rules in ``services.social.accounts`` decide in the loop what it means.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from social_core.exceptions import AuthCanceled, AuthSessionError, SocialAuthBaseException
from social_core.storage import AssociationMixin, BaseStorage, NonceMixin
from social_core.strategy import BaseStrategy
from social_core.utils import to_setting_name
from tortoise.exceptions import IntegrityError

from core import limits
from core.errors import DomainError, ErrorCode
from core.settings import OIDC_BACKEND, Settings, SocialProvider
from models.social import SocialAssociation, SocialNonce
from services.social import photos, providers

T = TypeVar("T")
_LOOP: ContextVar[asyncio.AbstractEventLoop] = ContextVar("social_auth_loop")
STORAGE_TIMEOUT_SECONDS = 30


def _in_loop(query: Awaitable[T]) -> T:
    """Run a database call on the server's loop from the library's thread; wait for it."""

    async def run() -> T:
        return await query

    return asyncio.run_coroutine_threadsafe(run(), _LOOP.get()).result(STORAGE_TIMEOUT_SECONDS)


class Nonces(NonceMixin):
    """One-use values: ``use`` claims one (False if taken), ``consume`` spends it once."""

    @classmethod
    def use(cls, server_url: str, timestamp: int, salt: str) -> bool:
        async def claim() -> bool:
            try:
                await SocialNonce.create(server_url=server_url, timestamp=timestamp, salt=salt)
            except IntegrityError:
                return False
            return True

        return _in_loop(claim())

    @classmethod
    def consume(cls, server_url: str, timestamp: int, salt: str) -> bool:
        found = SocialNonce.filter(server_url=server_url, timestamp=timestamp, salt=salt)
        return _in_loop(found.delete()) == 1

    @classmethod
    def get(cls, server_url: str, salt: str) -> Any:
        return _in_loop(SocialNonce.filter(server_url=server_url, salt=salt).first())

    @classmethod
    def delete(cls, nonce: Any) -> None:
        _in_loop(SocialNonce.filter(id=nonce.id).delete())


@dataclass
class StoredAssociation(AssociationMixin):
    id: int
    server_url: str
    handle: str
    secret: str
    issued: int
    lifetime: int
    assoc_type: str


class Associations(AssociationMixin):
    """Where the OpenID Connect backend keeps the nonce it sent, until the ID token returns."""

    @classmethod
    def store(cls, server_url: str, association: Any) -> None:
        _in_loop(
            SocialAssociation.create(
                server_url=server_url,
                handle=association.handle,
                secret=base64.encodebytes(association.secret).decode(),
                issued=association.issued,
                lifetime=association.lifetime,
                assoc_type=association.assoc_type,
            )
        )

    @classmethod
    def get(cls, server_url: str | None = None, handle: str | None = None) -> list[Any]:
        query = SocialAssociation.all()
        if server_url is not None:
            query = query.filter(server_url=server_url)
        if handle is not None:
            query = query.filter(handle=handle)
        rows = _in_loop(query)
        return [
            StoredAssociation(
                r.id, r.server_url, r.handle, r.secret, r.issued, r.lifetime, r.assoc_type
            )
            for r in rows
        ]

    @classmethod
    def remove(cls, ids_to_delete: list[int]) -> None:
        _in_loop(SocialAssociation.filter(id__in=list(ids_to_delete)).delete())


class Storage(BaseStorage):
    """Nonces and associations only: no pipeline runs, so the library never reaches for its
    user, code or partial stores (ours are ``SocialAccount`` and ``SocialLoginCode``)."""

    nonce = Nonces
    association = Associations

    @classmethod
    def is_integrity_error(cls, exception: Exception) -> bool:
        return isinstance(exception, IntegrityError)


@dataclass(frozen=True)
class Redirect:
    url: str


@dataclass(frozen=True)
class ProviderAnswer:
    """What ``authenticate`` receives at the end of the library's work: the provider's
    merged token and user-data response."""

    response: dict[str, Any]


@dataclass(frozen=True)
class Identity:
    """A person as the provider describes them; None is "not sent" (P9)."""

    uid: str
    email: str | None
    email_verified: bool
    name: str | None
    picture: str | None = None  # the URL of a profile picture, fetched only by photos


class Strategy(BaseStrategy[Any]):
    """The library's view of one request: its query, our settings, the flow's session."""

    def __init__(
        self,
        settings: Settings,
        provider: SocialProvider,
        query: dict[str, str],
        session: dict[str, Any],
    ) -> None:
        super().__init__(storage=Storage)
        self.settings = settings
        self.provider = provider
        self.query = query
        self.session = session
        prefix = f"SOCIAL_AUTH_{to_setting_name(provider.name)}_"
        self._values: dict[str, Any] = {
            f"{prefix}KEY": provider.client_id,
            f"{prefix}SECRET": provider.client_secret,
            f"{prefix}STATE_LIFETIME": int(settings.social_flow_lifetime.total_seconds()),
            f"{prefix}NONCE_LIFETIME": int(settings.social_flow_lifetime.total_seconds()),
            # requests' timeout: to connect, and between parts of each answer.
            f"{prefix}REQUESTS_TIMEOUT": limits.SOCIAL_PROVIDER_TIMEOUT.total_seconds(),
        }
        if provider.backend == OIDC_BACKEND:
            self._values[f"{prefix}OIDC_ENDPOINT"] = provider.issuer
        if provider.backend == "github":
            # The address list says which address GitHub verified.
            self._values[f"{prefix}SCOPE"] = ["user:email"]

    def get_setting(self, name: str) -> Any:
        return self._values[name]

    def get_backend_class(self, name: str) -> Any:
        return providers.backend_class(self.provider)

    def get_request_data(self, merge: bool = True) -> dict[str, Any]:
        return dict(self.query)

    def request_get(self) -> dict[str, Any]:
        return dict(self.query)

    def request_post(self) -> dict[str, Any]:
        return {}

    def request_host(self) -> str:
        return urlsplit(self.settings.public_url).netloc

    def request_is_secure(self) -> bool:
        return self.settings.public_url.startswith("https://")

    def request_path(self) -> str:
        return urlsplit(self.settings.public_url).path

    def request_port(self) -> int:
        return urlsplit(self.settings.public_url).port or (443 if self.request_is_secure() else 80)

    def session_get(self, name: str, default: Any = None) -> Any:
        return self.session.get(name, default)

    def session_set(self, name: str, value: Any) -> None:
        self.session[name] = value

    def session_pop(self, name: str) -> Any:
        return self.session.pop(name, None)

    def build_absolute_uri(self, path: str | None = None) -> str:
        if path and urlsplit(path).scheme:
            return path
        return self.settings.public_url + (path or "/")

    def redirect(self, url: str) -> Redirect:
        return Redirect(url)

    def html(self, content: str) -> Any:
        raise NotImplementedError("every backend we offer redirects")

    def authenticate(self, backend: Any, *args: Any, **kwargs: Any) -> Any:
        return ProviderAnswer(dict(kwargs.get("response") or {}))


def complete_url(settings: Settings, provider: SocialProvider) -> str:
    """The redirect URI registered at the provider."""
    return f"{settings.public_url}/auth/complete/{provider.name}"


def _backend(strategy: Strategy) -> Any:
    return strategy.get_backend(
        strategy.provider.name, redirect_uri=complete_url(strategy.settings, strategy.provider)
    )


async def _off_the_loop(work: Any) -> Any:
    _LOOP.set(asyncio.get_running_loop())
    return await asyncio.to_thread(work)


async def begin(strategy: Strategy) -> str:
    """The provider's authorization URL; the state (and nonce, PKCE verifier) go into the
    strategy's session and the nonce store."""
    return await _off_the_loop(lambda: _backend(strategy).auth_url())


class ProviderRefused(DomainError):
    """The provider's answer did not complete a login."""


def _identity(strategy: Strategy) -> Identity:
    backend = _backend(strategy)
    answer = backend.auth_complete()
    if not isinstance(answer, ProviderAnswer):
        raise ProviderRefused("The provider did not answer.", code=ErrorCode.PROVIDER_ERROR)
    details = backend.get_user_details(answer.response)
    uid = str(backend.get_user_id(details, answer.response) or "")
    if not uid:
        raise ProviderRefused("The provider named nobody.", code=ErrorCode.PROVIDER_ERROR)
    email = (details.get("email") or "").strip() or None
    name = (details.get("fullname") or "").strip() or None
    verified = email is not None and providers.email_verified(
        strategy.provider, answer.response, email
    )
    picture = photos.picture_url(strategy.provider, answer.response)
    return Identity(uid=uid, email=email, email_verified=verified, name=name, picture=picture)


async def finish(strategy: Strategy) -> Identity:
    """Check the state, exchange the code and read who the provider says the person is."""
    try:
        identity: Identity = await _off_the_loop(lambda: _identity(strategy))
    except AuthCanceled:
        raise ProviderRefused("The login was cancelled.", code=ErrorCode.LOGIN_CANCELLED) from None
    except SocialAuthBaseException as error:
        # A missing, forged, replayed or expired state, or no flow of this browser's at all.
        about_state = isinstance(error, AuthSessionError) or getattr(error, "parameter", "") == (
            "state"
        )
        if about_state:
            raise ProviderRefused(
                "This login was not started here, or has expired.", code=ErrorCode.INVALID_STATE
            ) from None
        raise ProviderRefused(
            "The provider's answer was refused.", code=ErrorCode.PROVIDER_ERROR
        ) from None
    return identity

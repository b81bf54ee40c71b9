"""Partner apps and their keys: created by staff, rotated with an overlap, revoked at once.

A key is shown once, when it is made, and stored only as its HMAC-SHA256 under the server's
secret: keys are long random strings, so a fast keyed hash is as safe as a slow one, and a
leaked table alone matches nothing. Every request looks its key up again, so a revocation
made by any process is refused by every process on its next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict, NotFound
from models.audit import AuditAction, AuditEntry
from models.partner_apps import (
    KEY_HINT_LENGTH,
    PartnerApp,
    PartnerKey,
    PartnerScope,
)
from services import audit
from services.access.decisions import Access
from services.access.viewer import PartnerCaller
from services.client import ClientInfo
from services.transactions import transaction

# Recognisable in logs, leaked-secret scanners and support mail; distinct from session tokens.
KEY_PREFIX = "mpk_live_"
CLIENT_ID_PREFIX = "mpa_"


def credential_digest(secret_key: str, raw: str) -> str:
    """The stored form of a partner key, code or token."""
    return hmac.new(secret_key.encode(), f"partner:{raw}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    """A key as it is made: ``raw`` is shown to whoever asked, once, and never kept."""

    key: PartnerKey
    raw: str


def _scopes(scopes: Iterable[PartnerScope]) -> list[str]:
    chosen = sorted({PartnerScope(scope).value for scope in scopes})
    if not chosen:
        raise BadUserInput("Give the app at least one scope.", field="scopes")
    return chosen


async def _issue_key(secret_key: str, app: PartnerApp) -> IssuedKey:
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = await PartnerKey.create(
        app=app, key_hash=credential_digest(secret_key, raw), hint=raw[:KEY_HINT_LENGTH]
    )
    return IssuedKey(key=key, raw=raw)


def _redirect_uris(uris: Iterable[str]) -> list[str]:
    """Exact URIs a user's browser may return to: HTTPS, or HTTP on loopback (RFC 8252), and
    no fragment; without one, the app cannot act for users."""
    chosen = sorted({uri.strip() for uri in uris})
    for uri in chosen:
        parts = urlsplit(uri)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if not (parts.scheme == "https" or loopback) or not parts.hostname or parts.fragment:
            raise BadUserInput(
                "A redirect URI is https (or http on loopback), without a fragment.",
                field="redirectUris",
            )
    return chosen


def client_id(app_id: int) -> str:
    """The app's OAuth 2.0 client_id."""
    return f"{CLIENT_ID_PREFIX}{app_id}"


async def create_app(
    secret_key: str,
    name: str,
    scopes: Iterable[PartnerScope],
    *,
    redirect_uris: Iterable[str] = (),
    actor_id: int | None,
    client: ClientInfo | None = None,
    via: str = "api",
) -> tuple[PartnerApp, IssuedKey]:
    """A new app and its first key."""
    name = name.strip()
    if not name or len(name) > limits.MAX_PARTNER_APP_NAME_LENGTH:
        longest = limits.MAX_PARTNER_APP_NAME_LENGTH
        raise BadUserInput(f"Name the app in 1 to {longest} characters.", field="name")
    chosen = _scopes(scopes)
    uris = _redirect_uris(redirect_uris)
    async with transaction():
        if await PartnerApp.filter(name=name).exists():
            raise Conflict("A partner app has this name already.", field="name")
        app = await PartnerApp.create(name=name, scopes=chosen, redirect_uris=uris)
        issued = await _issue_key(secret_key, app)
        await record(AuditAction.PARTNER_APP_CREATED, app, actor_id, client, scopes=chosen, via=via)
        await record(AuditAction.PARTNER_KEY_ISSUED, app, actor_id, client, key=issued.key.id)
    return app, issued


async def rotate_key(
    secret_key: str,
    app_id: int,
    overlap: timedelta,
    *,
    actor_id: int | None,
    client: ClientInfo | None = None,
) -> IssuedKey:
    """A new key; the app's other live keys keep working for ``overlap`` more, then expire."""
    if not timedelta(0) <= overlap <= limits.MAX_PARTNER_KEY_OVERLAP:
        raise BadUserInput(
            f"The overlap is 0 to {limits.MAX_PARTNER_KEY_OVERLAP.days} days.",
            field="overlapSeconds",
        )
    ends = clock.now() + overlap
    async with transaction():
        app = await live_app(app_id)
        await _live_keys(app.id).filter(expires_at__isnull=True).update(expires_at=ends)
        await _live_keys(app.id).filter(expires_at__gt=ends).update(expires_at=ends)
        issued = await _issue_key(secret_key, app)
        await record(
            AuditAction.PARTNER_KEY_ISSUED,
            app,
            actor_id,
            client,
            key=issued.key.id,
            oldKeysExpireAt=ends.isoformat(),
        )
    return issued


async def revoke_key(
    key_id: int, *, actor_id: int | None, client: ClientInfo | None = None
) -> PartnerKey:
    key = await PartnerKey.get_or_none(id=key_id).select_related("app")
    if key is None:
        raise NotFound("No partner key has this ID.", field="keyId")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await key.save(update_fields=["revoked_at"])
        await record(AuditAction.PARTNER_KEY_REVOKED, key.app, actor_id, client, key=key.id)
    return key


async def revoke_app(
    app_id: int, *, actor_id: int | None, client: ClientInfo | None = None
) -> PartnerApp:
    """The app, its keys and every user's grant to it stop working at once."""
    app = await PartnerApp.get_or_none(id=app_id)
    if app is None:
        raise NotFound("No partner app has this ID.", field="appId")
    if app.revoked_at is None:
        app.revoked_at = clock.now()
        await app.save(update_fields=["revoked_at"])
        await record(AuditAction.PARTNER_APP_REVOKED, app, actor_id, client)
    return app


async def live_app(app_id: int) -> PartnerApp:
    app = await PartnerApp.get_or_none(id=app_id, revoked_at__isnull=True)
    if app is None:
        raise NotFound("No partner app in use has this ID.", field="appId")
    return app


def _live_keys(app_id: int) -> QuerySet[PartnerKey]:
    return PartnerKey.filter(app_id=app_id, revoked_at__isnull=True)


async def caller_for_key(secret_key: str, raw: str) -> PartnerCaller | None:
    """The app a key speaks for, when the key and its app are both live; else None."""
    now = clock.now()
    key = (
        await PartnerKey.filter(
            key_hash=credential_digest(secret_key, raw),
            revoked_at__isnull=True,
            app__revoked_at__isnull=True,
        )
        .select_related("app")
        .first()
    )
    if key is None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return PartnerCaller(app_id=key.app_id, scopes=frozenset(key.app.scopes))


def keys_of(access: Access, app_id: int) -> QuerySet[PartnerKey]:
    """An app's keys the viewer sees, newest first, revoked and expired ones included."""
    return access.visible(PartnerKey).filter(app_id=app_id).order_by("-created_at", "-id")


def audit_trail(access: Access, app_id: int) -> QuerySet[AuditEntry]:
    """What the app did and what was done to it, newest first, as far as the viewer may read
    the audit log."""
    return access.visible(AuditEntry).filter(partner_app_id=app_id).order_by("-created_at", "-id")


def apps(access: Access) -> QuerySet[PartnerApp]:
    """The apps the viewer sees (staff who manage partners: all), newest first."""
    return access.visible(PartnerApp).order_by("-created_at", "-id")


async def record(
    action: AuditAction,
    app: PartnerApp,
    actor_id: int | None,
    client: ClientInfo | None,
    *,
    subject_id: int | None = None,
    **detail: object,
) -> None:
    """An entry of the app's audit trail."""
    await audit.record(
        action,
        actor_id=actor_id,
        subject_id=subject_id,
        partner_app_id=app.id,
        detail={"partnerApp": app.id, **detail},
        ip_prefix=client.ip_prefix if client else None,
        request_id=client.request_id if client else None,
    )

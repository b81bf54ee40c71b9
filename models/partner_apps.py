"""Partner apps: third-party programs that call the API with a key of their own, limited to
the scopes staff gave them, and, once a user consents, on that user's behalf."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits

# A key or token is kept only as its keyed hash (hex HMAC-SHA256).
DIGEST_LENGTH = 64
# The start of a key kept in the clear, so staff can tell an app's keys apart in lists.
KEY_HINT_LENGTH = 16


class PartnerScope(StrEnum):
    """What a partner credential may call; each root field and mutation declares the scope it
    needs, and one a partner may call declares one."""

    MARKETPLACE_READ = "marketplace:read"
    USER_READ = "user:read"
    USER_WRITE = "user:write"


# The scopes only a user's consent can give: a partner app key alone never acts for anyone.
USER_SCOPES = frozenset({PartnerScope.USER_READ, PartnerScope.USER_WRITE})


class PartnerApp(Model):
    """A partner app staff registered, with the scopes it may ever use."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=limits.MAX_PARTNER_APP_NAME_LENGTH, unique=True)
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    # Where a user's browser may be sent back with an authorization code: exact URIs only.
    redirect_uris: fields.Field[list[str]] = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "partner_apps"


class PartnerKey(Model):
    """One of an app's API keys. Rotation issues a new key and gives the old one an expiry, so
    both work while the partner deploys the new one."""

    id = fields.BigIntField(primary_key=True)
    app: fields.ForeignKeyRelation[PartnerApp] = fields.ForeignKeyField(
        "models.PartnerApp", related_name="keys", on_delete=fields.CASCADE
    )
    key_hash = fields.CharField(max_length=DIGEST_LENGTH, unique=True)
    hint = fields.CharField(max_length=KEY_HINT_LENGTH)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    app_id: int

    class Meta:
        table = "partner_keys"


class PartnerGrant(Model):
    """A user's consent to let an app act for them with some scopes: first an authorization
    code (OAuth 2.0 with PKCE), then, once the app exchanges it, an access token. The user sees
    their grants and may revoke one; the token stops working at once."""

    id = fields.BigIntField(primary_key=True)
    app: fields.ForeignKeyRelation[PartnerApp] = fields.ForeignKeyField(
        "models.PartnerApp", related_name="grants", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    scopes: fields.Field[list[str]] = fields.JSONField(default=list)
    redirect_uri = fields.CharField(max_length=2048)
    code_hash = fields.CharField(max_length=DIGEST_LENGTH, unique=True)
    code_challenge = fields.CharField(max_length=128)
    code_expires_at = fields.DatetimeField()
    code_used_at = fields.DatetimeField(null=True)
    token_hash = fields.CharField(max_length=DIGEST_LENGTH, unique=True, null=True)
    token_expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    app_id: int
    user_id: int

    class Meta:
        table = "partner_grants"

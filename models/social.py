"""Third-party login: linked provider identities, what each provider sent, and the
short-lived records social-auth-core keeps while a login is under way.

No provider access or refresh token is stored: the login needs the provider's answer once,
and a token kept would be a credential to the person's account elsewhere.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class ImportedField(StrEnum):
    """A profile field a provider may fill in (P8)."""

    NAME = "NAME"
    EMAIL = "EMAIL"
    PHOTO = "PHOTO"


class SocialAccount(Model):
    """A provider identity linked to a user: who the provider says this person is."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="social_accounts", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=64)
    uid = fields.CharField(max_length=255)
    linked_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "social_accounts"
        unique_together = (("provider", "uid"),)


class SocialImport(Model):
    """That a profile field of the user came from a provider, and when (P8). A field the
    provider did not send has no record (P9)."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="social_imports", on_delete=fields.CASCADE
    )
    provider = fields.CharField(max_length=64)
    field = fields.CharEnumField(ImportedField, max_length=16)
    imported_at = fields.DatetimeField(auto_now_add=True)

    user_id: int

    class Meta:
        table = "social_imports"


class SocialFlow(Model):
    """The library's session for one browser's login under way, found by the SHA-256 of a
    random cookie: the state, OpenID nonce and PKCE verifier, and where to go afterwards."""

    id = fields.BigIntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    data: fields.Field[dict[str, object]] = fields.JSONField(default=dict)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "social_flows"


class SocialNonce(Model):
    """A one-use value of the library (the OAuth 2 state), used at the start and consumed once."""

    id = fields.BigIntField(primary_key=True)
    server_url = fields.CharField(max_length=255)
    timestamp = fields.BigIntField()
    salt = fields.CharField(max_length=128)

    class Meta:
        table = "social_nonces"
        unique_together = (("server_url", "timestamp", "salt"),)


class SocialAssociation(Model):
    """The library association store, where OpenID Connect keeps its login nonce."""

    id = fields.BigIntField(primary_key=True)
    server_url = fields.CharField(max_length=255)
    handle = fields.CharField(max_length=255)
    secret = fields.CharField(max_length=255)
    issued = fields.BigIntField()
    lifetime = fields.BigIntField()
    assoc_type = fields.CharField(max_length=128)

    class Meta:
        table = "social_associations"


class SocialLoginCode(Model):
    """A one-time code an app exchanges for the session a third-party login opened, only
    its SHA-256 stored."""

    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.User", related_name="social_login_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64, unique=True)
    provider = fields.CharField(max_length=64)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    user_id: int

    class Meta:
        table = "social_login_codes"

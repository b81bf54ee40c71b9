"""What users let partner apps do for them: the token a grant gave acts for its user within
the grant's scopes, until it expires or the user (or staff, revoking the app) ends it."""

from __future__ import annotations

from tortoise.queryset import QuerySet

from core import clock
from core.errors import NotFound
from models.accounts import User
from models.audit import AuditAction
from models.partner_apps import PartnerGrant
from services.access.decisions import Access
from services.access.viewer import PartnerCaller, Viewer
from services.client import ClientInfo
from services.partner_apps import credential_digest, record


async def viewer_for_token(secret_key: str, raw: str) -> Viewer | None:
    """The user a partner token acts for, and the app acting, when all are live; else None.
    Looked up on every request, so a revocation anywhere holds on the next one."""
    grant = (
        await PartnerGrant.filter(
            token_hash=credential_digest(secret_key, raw),
            token_expires_at__gt=clock.now(),
            revoked_at__isnull=True,
            app__revoked_at__isnull=True,
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )
    if grant is None:
        return None
    partner = PartnerCaller(app_id=grant.app_id, scopes=frozenset(grant.scopes), grant_id=grant.id)
    return Viewer(user=grant.user, partner=partner)


def grants_of(access: Access, user: User) -> QuerySet[PartnerGrant]:
    """The apps acting for the user now (their code exchanged, not revoked), newest first."""
    return (
        access.visible(PartnerGrant)
        .filter(
            user_id=user.id,
            token_hash__isnull=False,
            token_expires_at__gt=clock.now(),
            revoked_at__isnull=True,
        )
        .select_related("app")
        .order_by("-created_at", "-id")
    )


async def revoke_grant(user: User, grant_id: int, client: ClientInfo) -> PartnerGrant:
    """The user ends an app's right to act for them; its token is refused at once."""
    grant = await PartnerGrant.get_or_none(id=grant_id, user_id=user.id).select_related("app")
    if grant is None:
        raise NotFound("You have no grant with this ID.", field="grantId")
    if grant.revoked_at is None:
        grant.revoked_at = clock.now()
        await grant.save(update_fields=["revoked_at"])
        await record(
            AuditAction.PARTNER_GRANT_REVOKED,
            grant.app,
            user.id,
            client,
            subject_id=user.id,
            grant=grant.id,
        )
    return grant

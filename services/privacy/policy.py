"""The privacy policy's versions and their acceptance (P25): "the Privacy Policy may be updated
as required ... the users are requested to review this page for any updates".

Staff with MANAGE_POLICY publish versions; a published version never changes (nothing here
updates one). The version in force is the newest already effective. Versions take effect in
the order they are published (one effective earlier than the latest is refused), so their ids
order them as their effective times do. Version 1, the policy the service was published with,
comes with the database: the migration that brought versions records it.

Users accept the version in force: at sign-up, and with ``accept`` afterwards. A material
version in force that is newer than the one a user last accepted asks them to review it
(``must_review``) until they accept it.
"""

from __future__ import annotations

import re
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, Conflict
from core.runtime import Runtime
from models.accounts import User
from models.audit import AuditAction
from models.privacy import ConsentSource, PolicyAcceptance, PolicyAnnouncement, PrivacyPolicy
from services import audit
from services.access.decisions import Access
from services.client import ClientInfo
from services.profile_fields import checked_text
from services.transactions import transaction

# It names the version in a response header and in URLs: letters, digits, dots and dashes.
VERSION_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")
NEWEST_FIRST = ("-effective_at", "-id")


def in_force() -> QuerySet[PrivacyPolicy]:
    """The versions already effective, the one in force first."""
    return PrivacyPolicy.filter(effective_at__lte=clock.now()).order_by(*NEWEST_FIRST)


async def current_policy() -> PrivacyPolicy:
    found = await in_force().first()
    if found is None:
        raise LookupError("no privacy policy is in force: the migrations record version 1")
    return found


def newest_first(access: Access) -> QuerySet[PrivacyPolicy]:
    """Every published version the viewer sees (everyone: all of them), upcoming ones too."""
    return access.visible(PrivacyPolicy).order_by(*NEWEST_FIRST)


async def published(version: str) -> PrivacyPolicy | None:
    """A name no version could have (a NUL, which PostgreSQL refuses to compare) names none."""
    if len(version) > limits.MAX_POLICY_VERSION_LENGTH or not VERSION_NAME.fullmatch(version):
        return None
    return await PrivacyPolicy.get_or_none(version=version)


def _checked_version(raw: str) -> str:
    version = raw.strip()
    if not version:
        raise BadUserInput("Name the version, e.g. 2.", field="version")
    if len(version) > limits.MAX_POLICY_VERSION_LENGTH or not VERSION_NAME.fullmatch(version):
        raise BadUserInput(
            f"A version is 1 to {limits.MAX_POLICY_VERSION_LENGTH} letters, digits, dots or "
            "dashes, starting with a letter or digit.",
            field="version",
        )
    return version


def _checked_required(raw: str, *, field: str, limit: int, missing: str) -> str:
    text = checked_text(raw, field=field, limit=limit)
    if not text:
        raise BadUserInput(missing, field=field)
    return text


def _checked_moment(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise BadUserInput(
            "Give the time with its offset, e.g. 2027-01-01T00:00:00Z.", field="effectiveAt"
        )
    return moment


async def publish(
    runtime: Runtime,
    staff: User,
    *,
    version: str,
    text: str,
    summary_of_changes: str,
    effective_at: datetime,
    material: bool,
    client: ClientInfo,
) -> PrivacyPolicy:
    """Publish a new version, audited. A material one is announced to every active user once
    it is in force (``services.privacy.policy_notices``); a non-material one to nobody."""
    version = _checked_version(version)
    text = _checked_required(
        text, field="text", limit=limits.MAX_POLICY_TEXT_LENGTH, missing="Write the policy's text."
    )
    summary_of_changes = _checked_required(
        summary_of_changes,
        field="summaryOfChanges",
        limit=limits.MAX_POLICY_SUMMARY_LENGTH,
        missing="Say what changed since the version before.",
    )
    effective_at = _checked_moment(effective_at)
    async with transaction():
        # Publishers take turns on the latest version, which decides the earliest start.
        latest = await PrivacyPolicy.select_for_update().order_by(*NEWEST_FIRST).first()
        if await PrivacyPolicy.exists(version=version):
            raise _already_published(version)
        if latest is not None and effective_at < latest.effective_at:
            raise BadUserInput(
                f"A version takes effect no earlier than the latest one (version "
                f"{latest.version}, effective {latest.effective_at.isoformat()}).",
                field="effectiveAt",
            )
        try:
            policy = await PrivacyPolicy.create(
                version=version,
                text=text,
                summary_of_changes=summary_of_changes,
                material=material,
                effective_at=effective_at,
                published_by_id=staff.id,
                published_at=clock.now(),
            )
        except IntegrityError:
            raise _already_published(version) from None
        if material:
            await PolicyAnnouncement.create(policy=policy)
        await audit.record(
            AuditAction.POLICY_PUBLISHED,
            actor_id=staff.id,
            detail={"version": version, "material": material},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    if material and effective_at <= clock.now():
        await runtime.outbox.wake_policy_notices()
    return policy


def _already_published(version: str) -> Conflict:
    return Conflict(
        f"Version {version} is already published, and a version never changes: publish the "
        "change as a new version.",
        field="version",
    )


async def _record_acceptance(
    user_id: int, policy: PrivacyPolicy, source: ConsentSource
) -> PolicyAcceptance:
    """The user's acceptance of ``policy``: the one they gave before, else a new one."""
    found = await PolicyAcceptance.get_or_none(user_id=user_id, policy_id=policy.id)
    if found is not None:
        return found
    try:
        return await PolicyAcceptance.create(
            user_id=user_id, policy=policy, source=source, accepted_at=clock.now()
        )
    except IntegrityError:  # accepted twice at once: the first one stands
        return await PolicyAcceptance.get(user_id=user_id, policy_id=policy.id)


async def accept_at_sign_up(user_id: int) -> PolicyAcceptance:
    """Signing up accepts the version in force; call inside the sign-up's transaction."""
    return await _record_acceptance(user_id, await current_policy(), ConsentSource.SIGN_UP)


async def accept(user: User, version: str, *, source: ConsentSource) -> PolicyAcceptance:
    """Accept the version in force, by its name; accepting it again changes nothing."""
    policy = await current_policy()
    if version.strip() != policy.version:
        raise BadUserInput(
            f"Version {policy.version} is the one in force: review and accept that one.",
            field="version",
        )
    return await _record_acceptance(user.id, policy, source)


async def newest_acceptance(access: Access, user_id: int) -> PolicyAcceptance | None:
    """The acceptance of the newest version the user accepted, as far as the viewer sees."""
    mine = access.visible(PolicyAcceptance).filter(user_id=user_id)
    return await mine.order_by("-policy_id").first()


async def must_review(user_id: int) -> bool:
    """Whether a material version in force is newer than the one the user last accepted (or
    the user, created before versions were accepted, never accepted one)."""
    newest = await PolicyAcceptance.filter(user_id=user_id).order_by("-policy_id").first()
    newer = in_force().filter(material=True)
    if newest is not None:
        newer = newer.filter(id__gt=newest.policy_id)
    return await newer.exists()

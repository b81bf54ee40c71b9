"""Legal disclosures (P11: "data may be shared if law or legal process requires it").

LEGAL staff ask for a package of one user's data for an authority, under a legal reference and
for some categories of the personal-data registry. It is built in the background like a data
export (the same walk of the registry, with a category filter), stored in the file store, and
downloaded exactly once, by the staff member who asked; the file is deleted as it is served,
or after ``legal_disclosure_lifetime`` when nobody came for it. Every step is audited with the
reference and the categories. The subject learns of the disclosure once it is made (the
package downloaded): in ``me.dataDisclosures`` and by a notification, unless the request
says the law forbids telling them.
"""

from __future__ import annotations

from collections.abc import Collection

from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, NotFound
from core.runtime import Runtime
from models.accounts import User
from models.audit import AuditAction
from models.deletion import AccountDeletion, DeletionStatus
from models.disclosures import UNBUILT, DisclosureStatus, LegalDisclosure
from models.notifications import NotificationKind
from services import audit
from services.access.decisions import Access
from services.access.policy import Category
from services.access.registry import TOLD_SUBJECT
from services.client import ClientInfo
from services.notifications.emit import announcing, notify
from services.privacy import archive
from services.privacy.stored_archives import Make, MarkReady, StoredArchives
from services.transactions import transaction

# Secrets (password hashes, session and mail tokens) leave the service for nobody.
NEVER_DISCLOSED = frozenset({Category.CREDENTIAL})
README = """\
A disclosure of data held by mentor-api
=======================================

Legal reference: {reference}
Authority:       {authority}
Categories:      {categories}
Built:           {built_at}

This package was produced because the law or a legal process requires it. data.json holds,
for the person it concerns (user {user_id}), only the fields of the categories above:

  "models"   one entry per kind of record that has such fields, by name, each with
    "fields"   those fields, with their category of personal data, and
    "rows"     the person's records: their own, and those where they are the other party
               (jobs as a mentor, testimonials about them), as far as the person may read
               them. Other columns (ids, dates that are not personal data) are left out.

Times are ISO 8601 in UTC. A field holding a file (a photo) names its path in this archive,
under files/. Secrets (password hashes, session tokens) are never included.
"""


def _required(value: str, field: str, what: str, longest: int) -> str:
    text = value.strip()
    if not text:
        raise BadUserInput(f"{what} is required.", field=field)
    if len(text) > longest:
        raise BadUserInput(f"{what} has at most {longest} characters.", field=field)
    return text


def _categories(requested: Collection[Category]) -> list[str]:
    if not requested:
        raise BadUserInput("Name at least one category of data.", field="categories")
    if set(requested) & NEVER_DISCLOSED:
        raise BadUserInput("Secrets such as passwords are never disclosed.", field="categories")
    return sorted({category.value for category in requested})


async def erased(user_id: int) -> bool:
    """Whether the account's personal data is already gone (nothing is left to disclose)."""
    gone = (DeletionStatus.ERASED, DeletionStatus.PURGED)
    return await AccountDeletion.exists(user_id=user_id, status__in=gone)


def _about(disclosure: LegalDisclosure) -> dict[str, object]:
    """What each audit row of a disclosure says: which one, its reference and categories."""
    return {
        "disclosure": disclosure.id,
        "reference": disclosure.legal_reference,
        "categories": disclosure.categories,
    }


async def request_disclosure(
    runtime: Runtime,
    staff: User,
    user_id: int,
    *,
    legal_reference: str,
    authority: str,
    categories: Collection[Category],
    notify_subject: bool,
    client: ClientInfo,
) -> LegalDisclosure:
    """A new package of ``user_id``'s data in ``categories``, to be built in the background.
    Nothing is stored when the input is refused."""
    reference = _required(
        legal_reference, "legalReference", "A legal reference", limits.MAX_LEGAL_REFERENCE_LENGTH
    )
    recipient = _required(authority, "authority", "The authority", limits.MAX_AUTHORITY_LENGTH)
    names = _categories(categories)
    if not await User.exists(id=user_id) or await erased(user_id):
        raise NotFound("No such user.", field="userId")
    async with transaction():
        disclosure = await LegalDisclosure.create(
            user_id=user_id,
            requested_by_id=staff.id,
            legal_reference=reference,
            authority=recipient,
            categories=names,
            notify_subject=notify_subject,
            requested_at=clock.now(),
        )
        await audit.record(
            AuditAction.LEGAL_DISCLOSURE_REQUESTED,
            actor_id=staff.id,
            subject_id=user_id,
            detail={**_about(disclosure), "authority": recipient, "notify_subject": notify_subject},
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
    await runtime.outbox.wake_disclosures()
    return disclosure


def _cover(disclosure: LegalDisclosure) -> archive.Cover:
    built_at = clock.now()
    return archive.Cover(
        {
            "format": archive.FORMAT_VERSION,
            "user": disclosure.user_id,
            "built_at": built_at,
            "legal_reference": disclosure.legal_reference,
            "authority": disclosure.authority,
            "categories": disclosure.categories,
        },
        README.format(
            reference=disclosure.legal_reference,
            authority=disclosure.authority,
            categories=", ".join(disclosure.categories),
            built_at=built_at.isoformat(),
            user_id=disclosure.user_id,
        ),
    )


ARCHIVES = StoredArchives(
    LegalDisclosure,
    "legal disclosure",
    owed=UNBUILT,
    building=DisclosureStatus.BUILDING,
    ready=DisclosureStatus.READY,
    failed=DisclosureStatus.FAILED,
    expired=DisclosureStatus.EXPIRED,
)


def _steps(runtime: Runtime) -> tuple[Make, MarkReady]:
    """What a package holds (the requested categories only), and how its row says it is
    ready."""

    async def make(disclosure: LegalDisclosure) -> bytes:
        if await erased(disclosure.user_id):
            raise LookupError("the account was erased before its package was built")
        user = await User.get(id=disclosure.user_id)
        categories = [Category(name) for name in disclosure.categories]
        return await archive.build(user, runtime.files, _cover(disclosure), categories)

    async def mark_ready(disclosure: LegalDisclosure, key: str, size: int) -> bool:
        return await _mark_ready(runtime, disclosure, key, size)

    return make, mark_ready


async def build_disclosure(runtime: Runtime, disclosure_id: int) -> bool:
    """Build one package if it is still owed; True when this call made it READY."""
    return await ARCHIVES.build(runtime.files, disclosure_id, *_steps(runtime))


async def _mark_ready(runtime: Runtime, disclosure: LegalDisclosure, key: str, size: int) -> bool:
    built_at = clock.now()
    async with transaction():
        won = await LegalDisclosure.filter(
            id=disclosure.id, status=DisclosureStatus.BUILDING
        ).update(
            status=DisclosureStatus.READY,
            file_key=key,
            size_bytes=size,
            built_at=built_at,
            expires_at=built_at + runtime.settings.legal_disclosure_lifetime,
        )
        if won:
            await audit.record(
                AuditAction.LEGAL_DISCLOSURE_BUILT,
                subject_id=disclosure.user_id,
                detail={**_about(disclosure), "bytes": size},
            )
    return bool(won)


async def build_pending(runtime: Runtime) -> int:
    """Build every package still owed, oldest first: a wake's work, and the sweep's."""
    return await ARCHIVES.build_owed(runtime.files, *_steps(runtime))


async def expire(runtime: Runtime) -> int:
    """Delete the packages nobody downloaded within their lifetime, and mark them EXPIRED."""
    return await ARCHIVES.expire_due(runtime.files)


def downloadable(disclosure: LegalDisclosure) -> bool:
    """READY, its file there, and within its lifetime (the sweep may not have expired it)."""
    return ARCHIVES.downloadable(disclosure)


async def download(
    runtime: Runtime, staff: User | None, disclosure_id: int, client: ClientInfo
) -> bytes | None:
    """The package, once, to the LEGAL staff member who asked for it; None for anything else
    (nobody signed in, someone else, unknown, not built, expired, already downloaded), all
    alike so nothing can be probed.

    The file is deleted before the download is recorded: of two downloads at once only the
    one that records it is served, and a crash in between leaves no file behind.
    """
    if staff is None:
        return None
    # The row rule opens the rows to LEGAL staff only; of those, the requester's own.
    disclosure = await requested_by(Access.of(staff), staff.id).filter(id=disclosure_id).first()
    if disclosure is None or not downloadable(disclosure):
        return None
    key = disclosure.file_key
    assert key is not None
    content = await runtime.files.get(key)
    if content is None:
        return None
    await runtime.files.delete(key)
    async with announcing(runtime), transaction():
        won = await LegalDisclosure.filter(
            id=disclosure.id, status=DisclosureStatus.READY, file_key=key
        ).update(status=DisclosureStatus.DOWNLOADED, downloaded_at=clock.now(), file_key=None)
        if not won:
            return None
        await audit.record(
            AuditAction.LEGAL_DISCLOSURE_DOWNLOADED,
            actor_id=staff.id,
            subject_id=disclosure.user_id,
            detail=_about(disclosure),
            ip_prefix=client.ip_prefix,
            request_id=client.request_id,
        )
        if disclosure.notify_subject:
            await notify(NotificationKind.LEGAL_DISCLOSURE, [disclosure.user_id])
    return content


def requested_by(access: Access, staff_id: int) -> QuerySet[LegalDisclosure]:
    """The disclosures a LEGAL staff member asked for, newest first."""
    mine = access.visible(LegalDisclosure).filter(requested_by_id=staff_id)
    return mine.order_by("-requested_at", "-id")


def told_to(access: Access, user_id: int) -> QuerySet[LegalDisclosure]:
    """The disclosures of ``user_id``'s data they may be told of and the viewer sees (their
    own), newest first."""
    told = access.visible(LegalDisclosure, TOLD_SUBJECT).filter(user_id=user_id)
    return told.order_by("-downloaded_at", "-id")

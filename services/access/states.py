"""The states that hide or publish rows, each as a check and as SQL, side by side.

Domain services build their lists from these too (a mentor's displayed testimonials), so the
rule that hides a row and the query that leaves it out cannot drift apart.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.accounts import User
from models.audit import AuditAction, AuditEntry
from models.disclosures import LegalDisclosure
from models.marketplace import Attribution, MentorProfile, Post, PostStatus, Testimonial
from services.access.policy import RowState


def _joined_user(row: MentorProfile | Post | Testimonial, relation: str) -> User:
    user = getattr(row, relation)
    if not isinstance(user, User):
        raise LookupError(f"this rule reads the row's {relation}: fetch it with the row")
    return user


def _active(user: User) -> bool:
    return user.is_active


def _active_mentor(profile: MentorProfile) -> bool:
    return _joined_user(profile, "user").is_active


def _published(post: Post) -> bool:
    # An account scheduled for deletion shows nothing of what it published.
    return post.status is PostStatus.PUBLISHED and _joined_user(post, "author").is_active


def _parties_active(testimonial: Testimonial) -> bool:
    return (
        _joined_user(testimonial, "author").is_active
        and _joined_user(testimonial, "mentor").is_active
    )


def _displayed(testimonial: Testimonial) -> bool:
    return (
        testimonial.profile_attribution is not None
        and testimonial.hidden_at is None
        and _parties_active(testimonial)
    )


def _named_in_full(testimonial: Testimonial) -> bool:
    return _displayed(testimonial) and testimonial.profile_attribution is Attribution.FULL_NAME


def _success_story(testimonial: Testimonial) -> bool:
    return (
        testimonial.featured_at is not None
        and testimonial.marketing_attribution is not None
        and testimonial.hidden_at is None
        and _parties_active(testimonial)
    )


def _parties_active_sql() -> Q:
    return Q(author__is_active=True, mentor__is_active=True)


USER_ACTIVE = RowState("an active account", _active, lambda: Q(is_active=True))
MENTOR_ACTIVE = RowState(
    "the profile of an active account", _active_mentor, lambda: Q(user__is_active=True), ("user",)
)
POST_PUBLISHED = RowState(
    "published by an active account",
    _published,
    lambda: Q(status=PostStatus.PUBLISHED, author__is_active=True),
    ("author",),
)
# Policy P14: "testimonials are displayed only after receiving permission"; and neither party
# is an account scheduled for deletion.
TESTIMONIAL_DISPLAYED = RowState(
    "displayed on the mentor's profile with its author's permission",
    _displayed,
    lambda: Q(profile_attribution__isnull=False, hidden_at__isnull=True) & _parties_active_sql(),
    ("author", "mentor"),
)
TESTIMONIAL_NAMED_IN_FULL = RowState(
    "displayed under its author's full name",
    _named_in_full,
    lambda: (
        Q(profile_attribution=Attribution.FULL_NAME, hidden_at__isnull=True) & _parties_active_sql()
    ),
    ("author", "mentor"),
)
SUCCESS_STORY = RowState(
    "featured in marketing with its author's permission",
    _success_story,
    lambda: (
        Q(featured_at__isnull=False, marketing_attribution__isnull=False, hidden_at__isnull=True)
        & _parties_active_sql()
    ),
    ("author", "mentor"),
)

# The audit rows of legal process: a disclosure's steps and a hold's, with their references.
LEGAL_PROCESS_STEPS = (
    AuditAction.LEGAL_DISCLOSURE_REQUESTED,
    AuditAction.LEGAL_DISCLOSURE_BUILT,
    AuditAction.LEGAL_DISCLOSURE_DOWNLOADED,
    AuditAction.LEGAL_HOLD_PLACED,
    AuditAction.LEGAL_HOLD_RELEASED,
)


def _told(disclosure: LegalDisclosure) -> bool:
    return disclosure.notify_subject and disclosure.downloaded_at is not None


def _not_legal_process(entry: AuditEntry) -> bool:
    return entry.action not in LEGAL_PROCESS_STEPS


# Policy P11: "data may be shared if law or legal process requires it". The subject learns of a
# disclosure once it is made (the package downloaded for the authority), unless the law that
# required it forbids telling them.
DISCLOSURE_TOLD = RowState(
    "disclosed to an authority, and its subject may be told",
    _told,
    lambda: Q(notify_subject=True, downloaded_at__isnull=False),
)
# The steps of legal process are the law's record, with its reference: the subject learns of
# a disclosure from the disclosure itself, when they may be told, and of a hold only that one
# blocks their deletion (a blocker that names nothing).
NOT_LEGAL_PROCESS = RowState(
    "anything but a step of legal process (a disclosure or a hold)",
    _not_legal_process,
    lambda: Q(action__not_in=list(LEGAL_PROCESS_STEPS)),
)

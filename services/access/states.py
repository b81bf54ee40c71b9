"""The states that hide or publish rows, each as a check and as SQL, side by side.

Domain services build their lists from these too (a mentor's displayed testimonials), so the
rule that hides a row and the query that leaves it out cannot drift apart.
"""

from __future__ import annotations

from tortoise.expressions import Q

from models.accounts import User
from models.marketplace import Attribution, MentorProfile, Post, PostStatus, Testimonial
from services.access.policy import RowState


def _user_of(profile: MentorProfile) -> User:
    user = profile.user
    if not isinstance(user, User):
        raise LookupError("a mentor profile's rule reads its user: fetch it with the row")
    return user


def _active(user: User) -> bool:
    return user.is_active


def _active_mentor(profile: MentorProfile) -> bool:
    return _user_of(profile).is_active


def _published(post: Post) -> bool:
    return post.status is PostStatus.PUBLISHED


def _displayed(testimonial: Testimonial) -> bool:
    return testimonial.profile_attribution is not None and testimonial.hidden_at is None


def _named_in_full(testimonial: Testimonial) -> bool:
    return _displayed(testimonial) and testimonial.profile_attribution is Attribution.FULL_NAME


def _success_story(testimonial: Testimonial) -> bool:
    return (
        testimonial.featured_at is not None
        and testimonial.marketing_attribution is not None
        and testimonial.hidden_at is None
    )


USER_ACTIVE = RowState("an active account", _active, lambda: Q(is_active=True))
MENTOR_ACTIVE = RowState(
    "the profile of an active account", _active_mentor, lambda: Q(user__is_active=True), ("user",)
)
POST_PUBLISHED = RowState("published", _published, lambda: Q(status=PostStatus.PUBLISHED))
# Policy P14: "testimonials are displayed only after receiving permission".
TESTIMONIAL_DISPLAYED = RowState(
    "displayed on the mentor's profile with its author's permission",
    _displayed,
    lambda: Q(profile_attribution__isnull=False, hidden_at__isnull=True),
)
TESTIMONIAL_NAMED_IN_FULL = RowState(
    "displayed under its author's full name",
    _named_in_full,
    lambda: Q(profile_attribution=Attribution.FULL_NAME, hidden_at__isnull=True),
)
SUCCESS_STORY = RowState(
    "featured in marketing with its author's permission",
    _success_story,
    lambda: Q(
        featured_at__isnull=False, marketing_attribution__isnull=False, hidden_at__isnull=True
    ),
)

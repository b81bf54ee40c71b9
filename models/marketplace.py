"""The marketplace: mentor profiles, posts and likes, jobs, and permission-gated testimonials."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from core import limits
from models.accounts import User


class MentorProfile(Model):
    """A user's public storefront as a mentor. Having one makes the user a mentor."""

    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="mentor_profile", on_delete=fields.CASCADE
    )
    headline = fields.CharField(max_length=limits.MAX_HEADLINE_LENGTH, default="", db_default="")
    bio = fields.TextField(default="")
    expertise: fields.Field[list[str]] = fields.JSONField(default=list)
    languages: fields.Field[list[str]] = fields.JSONField(default=list)
    hourly_rate_cents = fields.IntField(null=True)
    currency = fields.CharField(max_length=3, default="USD", db_default="USD")
    timezone = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "mentor_profiles"


class MentorTagKind(StrEnum):
    EXPERTISE = "EXPERTISE"
    LANGUAGE = "LANGUAGE"


class MentorTag(Model):
    """One searchable tag of a mentor's profile, kept in step with its lists so filters stay
    in SQL on both backends."""

    id = fields.BigIntField(primary_key=True)
    mentor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="mentor_tags", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(MentorTagKind, max_length=16)
    value = fields.CharField(max_length=64)

    mentor_id: int

    class Meta:
        table = "mentor_tags"
        unique_together = (("mentor", "kind", "value"),)
        indexes = (("kind", "value"),)


class PostStatus(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"


class Post(Model):
    id = fields.BigIntField(primary_key=True)
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="posts", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=limits.MAX_POST_TITLE_LENGTH)
    body = fields.TextField()
    tags: fields.Field[list[str]] = fields.JSONField(default=list)
    status = fields.CharEnumField(
        PostStatus, max_length=16, default=PostStatus.DRAFT, db_default=PostStatus.DRAFT.value
    )
    like_count = fields.IntField(default=0, db_default=0)
    view_count = fields.IntField(default=0, db_default=0)
    published_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    author_id: int

    class Meta:
        table = "posts"
        indexes = (("author_id", "status"),)


class PostTag(Model):
    """One tag of a post, so the tag filter stays in SQL on both backends."""

    id = fields.BigIntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="tag_rows", on_delete=fields.CASCADE
    )
    value = fields.CharField(max_length=64, db_index=True)

    post_id: int

    class Meta:
        table = "post_tags"
        unique_together = (("post", "value"),)


class PostLike(Model):
    """A user's like of a post, at most one per pair."""

    id = fields.BigIntField(primary_key=True)
    post: fields.ForeignKeyRelation[Post] = fields.ForeignKeyField(
        "models.Post", related_name="likes", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="post_likes", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    post_id: int
    user_id: int

    class Meta:
        table = "post_likes"
        unique_together = (("post", "user"),)


class JobStatus(StrEnum):
    REQUESTED = "REQUESTED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    PAID = "PAID"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    DISPUTED = "DISPUTED"


# A job in any other state is pending (it blocks account deletion).
CLOSED_JOB_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED})


class Job(Model):
    """An engagement between a client and a mentor. Its status moves only through services.jobs."""

    id = fields.BigIntField(primary_key=True)
    client: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="jobs_as_client", on_delete=fields.RESTRICT
    )
    mentor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="jobs_as_mentor", on_delete=fields.RESTRICT
    )
    status = fields.CharEnumField(
        JobStatus, max_length=16, default=JobStatus.REQUESTED, db_default="REQUESTED"
    )
    # Where a dispute found the job, so a dispute closed in the mentor's favour can return it.
    status_before_dispute: JobStatus | None = fields.CharEnumField(  # type: ignore[assignment]
        JobStatus, max_length=16, null=True
    )
    description = fields.TextField()
    price_cents = fields.IntField(null=True)
    currency = fields.CharField(max_length=3, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    accepted_at = fields.DatetimeField(null=True)
    paid_at = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)

    client_id: int
    mentor_id: int

    class Meta:
        table = "jobs"
        indexes = (("client_id", "status"), ("mentor_id", "status"))


class TestimonialScope(StrEnum):
    PROFILE = "PROFILE"
    MARKETING = "MARKETING"


class Attribution(StrEnum):
    FULL_NAME = "FULL_NAME"
    INITIALS = "INITIALS"
    ANONYMOUS = "ANONYMOUS"


class Testimonial(Model):
    """A client's word on a completed job. Shown beyond its author, mentor and staff only
    while a scope's attribution is set (the author's permission), and never when hidden."""

    __test__ = False

    id = fields.BigIntField(primary_key=True)
    job: fields.OneToOneRelation[Job] = fields.OneToOneField(
        "models.Job", related_name="testimonial", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="testimonials_written", on_delete=fields.CASCADE
    )
    mentor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="testimonials_received", on_delete=fields.CASCADE
    )
    rating = fields.SmallIntField()
    text = fields.TextField()
    # tortoise types nullable enum fields as non-null: the annotations say what is stored.
    profile_attribution: Attribution | None = fields.CharEnumField(  # type: ignore[assignment]
        Attribution, max_length=16, null=True
    )
    marketing_attribution: Attribution | None = fields.CharEnumField(  # type: ignore[assignment]
        Attribution, max_length=16, null=True
    )
    hidden_at = fields.DatetimeField(null=True)
    featured_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    job_id: int
    author_id: int
    mentor_id: int

    class Meta:
        table = "testimonials"
        indexes = (("mentor_id", "profile_attribution"),)


class PermissionChange(StrEnum):
    GRANTED = "GRANTED"
    REVOKED = "REVOKED"


class TestimonialPermissionEvent(Model):
    """Proof of consent: every grant and revocation of a testimonial permission, with its time."""

    __test__ = False

    id = fields.BigIntField(primary_key=True)
    testimonial: fields.ForeignKeyRelation[Testimonial] = fields.ForeignKeyField(
        "models.Testimonial", related_name="permission_events", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    scope = fields.CharEnumField(TestimonialScope, max_length=16)
    change = fields.CharEnumField(PermissionChange, max_length=16)
    attribution = fields.CharEnumField(Attribution, max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    testimonial_id: int
    author_id: int

    class Meta:
        table = "testimonial_permission_events"

"""The mentors the page benches read: each with published posts and completed jobs whose
clients left testimonials, most of them shown on the profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import User
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    MentorProfile,
    MentorTag,
    MentorTagKind,
    Post,
    PostStatus,
    Testimonial,
)


async def seed_mentors(
    mentors: int,
    *,
    posts_each: int = 4,
    testimonials_each: int = 5,
    clients: int = 100,
    private_every: int | None = 5,
) -> None:
    """``mentors`` mentors, ``posts_each`` published posts and ``testimonials_each``
    testimonials each; every ``private_every``-th testimonial is not shown on the profile."""
    published = datetime.now(UTC)
    await User.bulk_create(
        [User(email=f"client{i}@bench.example", name=f"Client Number{i}") for i in range(clients)]
    )
    clients = await User.filter(email__startswith="client").order_by("id")
    await User.bulk_create(
        [User(email=f"mentor{i}@bench.example", name=f"Mentor Number{i}") for i in range(mentors)]
    )
    users = await User.filter(email__startswith="mentor").order_by("id")
    await MentorProfile.bulk_create(
        [
            MentorProfile(
                user_id=u.id,
                headline=f"Mentor {i} helps with Python",
                expertise=["python", "sql"],
                languages=["en"],
                hourly_rate_cents=4000 + 100 * i,
                currency="EUR",
            )
            for i, u in enumerate(users)
        ]
    )
    await MentorTag.bulk_create(
        [MentorTag(mentor_id=u.id, kind=MentorTagKind.EXPERTISE, value="python") for u in users]
    )
    await Post.bulk_create(
        [
            Post(
                author_id=u.id,
                title=f"Post {n} by mentor {u.id}",
                body="Body",
                status=PostStatus.PUBLISHED,
                published_at=published - timedelta(days=n),
                like_count=n,
            )
            for u in users
            for n in range(posts_each)
        ]
    )
    await Job.bulk_create(
        [
            Job(
                client_id=clients[(u.id + n) % len(clients)].id,
                mentor_id=u.id,
                description="Help",
                status=JobStatus.COMPLETED,
            )
            for u in users
            for n in range(testimonials_each)
        ]
    )
    jobs = await Job.all().order_by("id")
    await Testimonial.bulk_create(
        [
            Testimonial(
                job_id=job.id,
                author_id=job.client_id,
                mentor_id=job.mentor_id,
                rating=3 + index % 3,
                text="Clear and useful.",
                profile_attribution=(
                    None
                    if private_every and index % private_every == private_every - 1
                    else list(Attribution)[index % 3]
                ),
            )
            for index, job in enumerate(jobs)
        ]
    )

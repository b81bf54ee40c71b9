"""The heaviest page the cost limit allows, and the rows it reads: the bounded-work tests and
``bench/bystander_latency.py`` run the same one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models.accounts import User
from models.marketplace import MentorProfile, Post, PostStatus

MENTORS = 100
POSTS_EACH = 23
# 100 mentors with 23 posts each and every scalar both types have costs 4 901 points, just
# under MAX_QUERY_COST: the heaviest page allowed. Its rows load ahead in a few statements
# (``MentorConnection.load_ahead``), so completing them is one long run of CPU work.
HEAVIEST_ALLOWED = (
    f"query Heaviest {{ mentors(first: {MENTORS}) {{ edges {{ cursor node {{ id name "
    f"headline bio expertise languages rating timezone posts(first: {POSTS_EACH}) {{ edges {{ "
    "cursor node { id title body likeCount publishedAt } } } } } } }"
)


async def seed_mentors(mentors: int = MENTORS, posts_each: int = POSTS_EACH) -> None:
    """Mentors with published posts, written in bulk: the test is about reading them."""
    await User.bulk_create(
        [User(email=f"mentor{i}@example.com", name=f"Mentor Number{i}") for i in range(mentors)]
    )
    users = await User.filter(email__startswith="mentor").order_by("id")
    await MentorProfile.bulk_create(
        [
            MentorProfile(
                user_id=user.id,
                headline=f"Mentor {i} helps with Python",
                bio="Ten years of backend work. " * 4,
                expertise=["python", "sql", "graphql"],
                languages=["en", "de"],
            )
            for i, user in enumerate(users)
        ]
    )
    published = datetime.now(UTC)
    await Post.bulk_create(
        [
            Post(
                author_id=user.id,
                title=f"Post {n} by mentor {user.id}",
                body="A paragraph on testing. " * 8,
                status=PostStatus.PUBLISHED,
                published_at=published - timedelta(days=n),
            )
            for user in users
            for n in range(posts_each)
        ]
    )

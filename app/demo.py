"""A small, realistic marketplace for a newcomer's GraphiQL: `mentor-api seed-demo`.

Mentors, clients, posts and likes go through the same services the API uses, so search tags,
counters and consent records are what real use would leave behind. Jobs are history here:
they are written in their final state rather than walked through payments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from core import clock
from models.accounts import StaffPermission, User
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    Post,
    Testimonial,
    TestimonialScope,
)
from services import mentors, posts, testimonials
from services.passwords import Passwords

DEMO_DOMAIN = "demo.example.com"
DEMO_PASSWORD = "demo-password-for-graphiql"
MODERATOR_EMAIL = f"moderator@{DEMO_DOMAIN}"
# The two accounts the README's payment walkthrough uses: a mentor without payouts yet, and a
# client who has never asked them for help.
WALKTHROUGH_MENTOR_EMAIL = f"mentor@{DEMO_DOMAIN}"
WALKTHROUGH_CLIENT_EMAIL = f"client@{DEMO_DOMAIN}"

FIRST_NAMES = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Guido",
    "Radia",
    "Donald",
    "Hedy",
    "Tim",
    "Shafi",
    "Edsger",
    "Sophie",
    "John",
    "Karen",
    "Niklaus",
    "Lynn",
    "Bjarne",
    "Anita",
    "Yukihiro",
    "Mary",
    "James",
    "Joan",
    "Leslie",
    "Carol",
    "Rasmus",
    "Annie",
    "Brian",
    "Jean",
    "Rob",
    "Evelyn",
]
LAST_NAMES = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "van Rossum",
    "Perlman",
    "Knuth",
    "Lamarr",
    "Berners-Lee",
    "Goldwasser",
    "Dijkstra",
    "Wilson",
    "McCarthy",
    "Spärck Jones",
    "Wirth",
    "Conway",
    "Stroustrup",
    "Borg",
    "Matsumoto",
    "Keller",
    "Gosling",
    "Clarke",
    "Lamport",
    "Shaw",
]
SPECIALITIES = [
    ("Backend APIs in Python", ["python", "django", "graphql", "postgresql"]),
    ("Frontend that feels fast", ["typescript", "react", "css", "accessibility"]),
    ("Data engineering without tears", ["python", "sql", "airflow", "data-modeling"]),
    ("Machine learning in production", ["python", "pytorch", "mlops", "statistics"]),
    ("Cloud infrastructure and Kubernetes", ["kubernetes", "terraform", "aws", "devops"]),
    ("Mobile apps, native and cross-platform", ["swift", "kotlin", "flutter", "mobile"]),
    ("Systems programming in Rust and C", ["rust", "c", "performance", "linux"]),
    ("Security reviews and threat modelling", ["security", "owasp", "cryptography", "auth"]),
    ("Product design and UX research", ["ux", "figma", "user-research", "design-systems"]),
    ("Career coaching for engineers", ["career", "interviews", "leadership", "management"]),
]
LANGUAGES = [["en"], ["en", "fr"], ["en", "de"], ["en", "es"], ["pt-br", "en"], ["ja", "en"]]
TIMEZONES = [
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Australia/Sydney",
]
POST_TITLES = [
    "What I look for in a code review",
    "Five mistakes I made with {tag}",
    "A gentle introduction to {tag}",
    "How I would learn {tag} today",
    "Debugging {tag} in production",
    "The {tag} reading list I give every mentee",
]
TESTIMONIAL_TEXTS = [
    "Clear explanations and practical advice. I shipped the feature the same week.",
    "Patient, precise and honest about trade-offs. Worth every minute.",
    "Helped me untangle a design I had been stuck on for a month.",
    "Great session: concrete next steps and useful links afterwards.",
    "Asked the right questions; I left with a plan I believe in.",
]
# Every permission state a testimonial can be in, cycled over the completed jobs.
PERMISSION_STATES = [
    "private",
    "profile-full-name",
    "profile-initials",
    "profile-anonymous",
    "marketing-featured",
    "hidden",
    "revoked",
]


@dataclass
class DemoSummary:
    mentors: int = 0
    clients: int = 0
    posts: int = 0
    jobs: int = 0
    testimonials: int = 0
    already_seeded: bool = False


async def _user(name: str, password_hash: str) -> User:
    email = name.lower().replace(" ", ".").replace("ä", "a") + f"@{DEMO_DOMAIN}"
    return await User.create(
        email=email, name=name, password_hash=password_hash, email_verified=True
    )


def _names(rng: random.Random, count: int) -> list[str]:
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}")
    return sorted(chosen)


async def _mentor(rng: random.Random, user: User) -> None:
    headline, tags = rng.choice(SPECIALITIES)
    expertise = rng.sample(tags, k=rng.randint(2, len(tags)))
    changes = mentors.ProfileChanges(
        sent=frozenset(
            {
                "headline",
                "bio",
                "expertise",
                "languages",
                "hourly_rate_cents",
                "currency",
                "timezone",
            }
        ),
        headline=headline,
        bio=f"{rng.randint(4, 20)} years of {expertise[0]}. I like small, concrete steps.",
        expertise=expertise,
        languages=rng.choice(LANGUAGES),
        hourly_rate_cents=rng.randrange(4000, 20000, 500),
        currency=rng.choice(["EUR", "USD", "GBP"]),
        timezone=rng.choice(TIMEZONES),
    )
    profile = await mentors.become_mentor(user, changes)
    for number in range(rng.randint(1, 4)):
        tag = rng.choice(profile.expertise)
        post = await posts.create_post(
            user,
            rng.choice(POST_TITLES).format(tag=tag),
            f"Notes on {tag} from my mentoring sessions.\n\nPart {number + 1}.",
            [tag],
        )
        if number < 3:
            await posts.publish_post(user, post.id)


async def _like_and_view(rng: random.Random, clients: list[User]) -> int:
    published = await Post.filter(status="PUBLISHED")
    for post in published:
        for fan in rng.sample(clients, k=rng.randint(0, min(8, len(clients)))):
            await posts.like_post(fan, post.id)
        await Post.filter(id=post.id).update(view_count=rng.randint(10, 400))
    return len(published)


async def _testimonial(
    rng: random.Random, job: Job, client: User, state: str, moderator: User
) -> None:
    row = await Testimonial.create(
        job=job,
        author=client,
        mentor_id=job.mentor_id,
        rating=rng.choice([4, 5, 5, 5, 3]),
        text=rng.choice(TESTIMONIAL_TEXTS),
    )
    author = client
    profile, marketing = TestimonialScope.PROFILE, TestimonialScope.MARKETING
    if state == "private":
        return
    if state == "profile-anonymous":
        await testimonials.grant_permission(author, row.id, profile, Attribution.ANONYMOUS)
    elif state == "profile-initials":
        await testimonials.grant_permission(author, row.id, profile, Attribution.INITIALS)
    else:
        await testimonials.grant_permission(author, row.id, profile, Attribution.FULL_NAME)
    if state == "marketing-featured":
        await testimonials.grant_permission(author, row.id, marketing, Attribution.INITIALS)
        await testimonials.feature(moderator, row.id)
    elif state == "hidden":
        await testimonials.set_hidden(moderator, row.id, True)
    elif state == "revoked":
        await testimonials.revoke_permission(author, row.id, profile)


async def _jobs(
    rng: random.Random, clients: list[User], mentor_users: list[User], moderator: User
) -> tuple[int, int]:
    """Completed jobs with testimonials in every permission state, and a few open ones."""
    now = clock.now()
    written = 0
    states = [JobStatus.COMPLETED] * 3 + [
        JobStatus.REQUESTED,
        JobStatus.ACCEPTED,
        JobStatus.DECLINED,
        JobStatus.CANCELLED,
    ]
    jobs_made = 0
    for mentor in mentor_users:
        for client in rng.sample(clients, k=min(len(clients), rng.randint(1, 4))):
            # The first few are completed, so every permission state appears at least once.
            enough = jobs_made >= len(PERMISSION_STATES)
            status = rng.choice(states) if enough else JobStatus.COMPLETED
            started = now - timedelta(days=rng.randint(5, 200))
            priced = status is not JobStatus.REQUESTED and status is not JobStatus.DECLINED
            job = await Job.create(
                client=client,
                mentor=mentor,
                status=status,
                description="I would like help with " + rng.choice(SPECIALITIES)[0].lower(),
                price_cents=rng.randrange(5000, 40000, 1000) if priced else None,
                currency="EUR" if priced else None,
                accepted_at=started + timedelta(hours=5) if priced else None,
                paid_at=started + timedelta(days=1) if status is JobStatus.COMPLETED else None,
                delivered_at=started + timedelta(days=3) if status is JobStatus.COMPLETED else None,
                closed_at=(
                    started + timedelta(days=4)
                    if status in (JobStatus.COMPLETED, JobStatus.DECLINED, JobStatus.CANCELLED)
                    else None
                ),
            )
            jobs_made += 1
            if status is JobStatus.COMPLETED:
                state = PERMISSION_STATES[written % len(PERMISSION_STATES)]
                await _testimonial(rng, job, client, state, moderator)
                written += 1
    return jobs_made, written


async def _walkthrough_accounts(password_hash: str) -> None:
    mentor = await User.create(
        email=WALKTHROUGH_MENTOR_EMAIL,
        name="Demo Mentor",
        password_hash=password_hash,
        email_verified=True,
    )
    changes = mentors.ProfileChanges(
        sent=frozenset({"headline", "bio", "expertise", "hourly_rate_cents", "currency"}),
        headline="Walks newcomers through their first paid job",
        bio="Ask me anything; I accept with a price, you pay with a test card.",
        expertise=["onboarding"],
        hourly_rate_cents=9000,
        currency="EUR",
    )
    await mentors.become_mentor(mentor, changes)
    await User.create(
        email=WALKTHROUGH_CLIENT_EMAIL,
        name="Demo Client",
        password_hash=password_hash,
        email_verified=True,
    )


async def seed_demo(
    passwords: Passwords, *, mentor_count: int = 30, client_count: int = 20, seed: int = 7
) -> DemoSummary:
    """Fill an empty database; a database that already holds the demo is left as it is."""
    if await User.exists(email=MODERATOR_EMAIL):
        return DemoSummary(already_seeded=True)
    rng = random.Random(seed)
    # Every demo account shares one password (printed by the command), so one hash will do.
    password_hash = await passwords.hash(DEMO_PASSWORD)
    moderator = await User.create(
        email=MODERATOR_EMAIL,
        name="Demo Moderator",
        password_hash=password_hash,
        email_verified=True,
        staff_permissions=[StaffPermission.MODERATE_CONTENT.value],
    )
    await _walkthrough_accounts(password_hash)
    names = _names(rng, mentor_count + client_count)
    mentor_users = [await _user(name, password_hash) for name in names[:mentor_count]]
    clients = [await _user(name, password_hash) for name in names[mentor_count:]]
    for user in mentor_users:
        await _mentor(rng, user)
    published = await _like_and_view(rng, clients)
    jobs_made, written = await _jobs(rng, clients, mentor_users, moderator)
    return DemoSummary(
        mentors=len(mentor_users),
        clients=len(clients),
        posts=published,
        jobs=jobs_made,
        testimonials=written,
    )

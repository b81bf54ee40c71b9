"""Every trusted query in graphql/ with real data to answer: the rows each reads, the viewer
it is sent as and the variables it is sent with (bench/page_query.py measures them).

The marketplace comes from page_query's seed; this adds the rest. What the API can make on
its own is made through it (log-ins, sessions and their audit, consents, views, likes,
partner apps, an incident); what needs a system the bench does not run (Stripe, an OAuth
provider, a partner, the background builder of archives) is written as rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
from harness import ROOT

from app.sessions import VISITOR_COOKIE
from core import clock
from core.settings import PasswordHashing
from models.accounts import StaffPermission, User
from models.disclosures import DisclosureStatus, LegalDisclosure
from models.exports import DataExport, ExportStatus
from models.incidents import AffectedUser, SecurityIncident
from models.interactions import DailyInteractionCount, InteractionKind
from models.marketing import PartnerDisclosure
from models.marketplace import Attribution, Job, MentorProfile, Post, Testimonial
from models.notifications import Notification, NotificationKind
from models.partner_apps import PartnerApp, PartnerGrant
from models.payments import Payment, PaymentMethod, PaymentStatus
from models.security import SecurityEvent, SecurityEventKind
from models.social import ImportedField, SocialAccount, SocialImport
from services.passwords import Passwords

DOCUMENTS = ROOT / "graphql"
PASSWORD = "bench viewer password, not a secret"
STAFF_EMAIL = "staff@bench.example"
# Who sends each query that needs someone signed in; every other one goes anonymous.
STAFF_QUERIES = frozenset(
    {"Analytics", "AuditLog", "LegalDisclosures", "PartnerApps", "SecurityEvents"}
    | {"SecurityIncidents", "Users"}
)
USER_QUERIES = frozenset(
    {"AccountDeletion", "ConsentHistory", "ConsentRequirements", "Consents", "DataDisclosures"}
    | {"DataExports", "Job", "Jobs", "LikedPosts", "LoginHistory", "Me", "Notifications"}
    | {"NotificationPreferences", "PartnerGrants", "PaymentMethods", "Payments", "Preferences"}
    | {"PrivacyPolicyReview", "RecommendedMentors", "SecurityNotices", "Sessions"}
    | {"SocialAccounts", "ViewHistory"}
)


# Queries whose answer changes from one request to the next, or from one server to the
# other, whatever runs them: their two first answers are not compared.
VARYING = {
    "AuditLog": "a staff read of the log is itself audited, so the next answer lists it",
    "AuthProviders": "each loginUrl holds the address of the server that answers",
    "Post": "each read counts one view",
}
# What the servers are configured with, so the queries that list configuration list some:
# two login providers (AuthProviders) and an advertising partner (DataProcessors).
CONFIGURATION = {
    "GITHUB_CLIENT_ID": "bench",
    "GITHUB_CLIENT_SECRET": "bench",
    "GOOGLE_CLIENT_ID": "bench",
    "GOOGLE_CLIENT_SECRET": "bench",
    "ADVERTISING_PARTNERS": json.dumps(
        [
            {
                "name": "AdPartner",
                "purpose": "advertising",
                "country": "DE",
                "endpoint": "https://partner.example/audiences",
                "fields": ["email_sha256"],
            }
        ]
    ),
}


# Every document of graphql/ by name, with its exact text: what a client sends.
DOCUMENT_TEXTS = {path.stem: path.read_text() for path in sorted(DOCUMENTS.glob("*.graphql"))}


def trusted_queries() -> dict[str, str]:
    """Each query of graphql/ by name (the documents with a line starting `query`)."""
    return {
        name: text
        for name, text in DOCUMENT_TEXTS.items()
        if any(line.startswith("query") for line in text.splitlines())
    }


def global_id(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@dataclass
class Seeded:
    """The rows the variables name, and the viewers' bearer tokens once signed in."""

    user_email: str
    mentor_profile_id: int
    mentor_user_id: int
    post_ids: list[int]
    job_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    # The browser cookie the user's remembered preferences hang on (Preferences reads them).
    visitor_cookie: str = ""

    def variables(self, name: str, first: int) -> dict[str, Any]:
        today = clock.now().date()
        mentor = global_id("Mentor", self.mentor_profile_id)
        given: dict[str, dict[str, Any]] = {
            "Analytics": {"range": {"from": str(today - timedelta(days=30)), "to": str(today)}},
            "Job": {"id": global_id("Job", self.job_id)},
            "Jobs": {"as": "CLIENT"},
            "Mentor": {"id": mentor},
            "Mentors": {"first": first},
            "Post": {"id": global_id("Post", self.post_ids[0])},
            "Testimonials": {"mentorId": mentor},
            "User": {"id": global_id("User", self.mentor_user_id)},
        }
        return given.get(name, {})

    def headers(self, name: str) -> dict[str, str]:
        viewer = "staff" if name in STAFF_QUERIES else "user" if name in USER_QUERIES else None
        if viewer is None:
            return {}
        cookie = {"Cookie": self.visitor_cookie} if name == "Preferences" else {}
        return {"Authorization": f"Bearer {self.tokens[viewer]}", **cookie}


async def seed_rows() -> Seeded:
    """Rows for the signed-in user (the client of the marketplace seed's first job) and for
    staff. Needs the database open (Tortoise) and page_query's seed done."""
    now = clock.now()
    cheap = Passwords(PasswordHashing(time_cost=1, memory_cost_kib=1024, parallelism=1))
    password_hash = await cheap.hash(PASSWORD)
    first_job = await Job.all().order_by("id").first()
    assert first_job is not None, "the marketplace is seeded first"
    user = await User.get(id=first_job.client_id)
    user.password_hash, user.email_verified = password_hash, True
    await user.save(update_fields=["password_hash", "email_verified"])
    staff = await User.create(
        email=STAFF_EMAIL,
        name="Staff Member",
        password_hash=password_hash,
        email_verified=True,
        staff_permissions=[p.value for p in StaffPermission],
    )
    jobs = await Job.filter(client_id=user.id).order_by("id")
    await _money(user, jobs, now)
    await _inbox(user, jobs, now)
    await _privacy_records(user, staff, now)
    await _security(user, staff, now)
    await _featured_testimonials(now)
    await _daily_counts(now)
    profile = await MentorProfile.filter(user_id=jobs[0].mentor_id).get()
    posts = await Post.filter(status="PUBLISHED").order_by("id").limit(10)
    return Seeded(
        user_email=user.email,
        mentor_profile_id=profile.id,
        mentor_user_id=profile.user_id,
        post_ids=[p.id for p in posts],
        job_id=jobs[0].id,
    )


async def _money(user: User, jobs: list[Job], now: Any) -> None:
    """A payment for each job (a few refunded, one disputed) and two saved cards."""
    statuses = [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]
    await Payment.bulk_create(
        [
            Payment(
                job_id=job.id,
                client_id=user.id,
                amount_cents=10000 + 500 * n,
                currency="EUR",
                status=statuses[n % len(statuses)],
                stripe_payment_intent_id=f"pi_bench_{job.id}",
                refunded_cents=0 if n % 3 == 0 else 2500,
                paid_at=now - timedelta(days=n),
            )
            for n, job in enumerate(jobs)
        ]
    )
    await PaymentMethod.bulk_create(
        [
            PaymentMethod(
                user_id=user.id,
                stripe_payment_method_id=f"pm_bench_{n}",
                brand=brand,
                last4=f"42{n}2",
                exp_month=n + 1,
                exp_year=2030,
            )
            for n, brand in enumerate(["visa", "mastercard"])
        ]
    )


async def _inbox(user: User, jobs: list[Job], now: Any) -> None:
    """Thirty notifications, every third read, naming jobs, testimonials and payments."""
    testimonials = {t.job_id: t.id for t in await Testimonial.filter(author_id=user.id)}
    payments = {p.job_id: p.id for p in await Payment.filter(client_id=user.id)}
    kinds = [NotificationKind.JOB_COMPLETED, NotificationKind.PAYMENT_REFUNDED]
    await Notification.bulk_create(
        [
            Notification(
                recipient_id=user.id,
                kind=kinds[n % 2],
                title=f"Notice {n}",
                body="Something happened to a job of yours.",
                job_id=jobs[n % len(jobs)].id,
                testimonial_id=testimonials.get(jobs[n % len(jobs)].id),
                payment_id=payments.get(jobs[n % len(jobs)].id),
                read_at=now if n % 3 == 0 else None,
            )
            for n in range(30)
        ]
    )


async def _privacy_records(user: User, staff: User, now: Any) -> None:
    """Exports, shares with partners, legal disclosures, a partner's grant, a linked account."""
    await DataExport.bulk_create(
        [
            DataExport(
                user_id=user.id,
                status=status,
                requested_at=now - timedelta(days=n),
                ready_at=None if status is ExportStatus.PENDING else now - timedelta(days=n),
                expires_at=now + timedelta(days=1 - n),
                size_bytes=None if status is ExportStatus.PENDING else 20_000 + n,
            )
            for n, status in enumerate([ExportStatus.PENDING, ExportStatus.EXPIRED] * 3)
        ]
    )
    await PartnerDisclosure.bulk_create(
        [
            PartnerDisclosure(
                user_id=user.id,
                partner="AdPartner",
                purpose="advertising",
                country="DE",
                fields_sent=["email"],
                disclosed_at=now - timedelta(days=n),
            )
            for n in range(5)
        ]
    )
    await LegalDisclosure.bulk_create(
        [
            LegalDisclosure(
                user_id=user.id,
                requested_by_id=staff.id,
                legal_reference=f"Case {n}",
                authority="A court",
                categories=["CONTACT"],
                notify_subject=True,
                status=DisclosureStatus.EXPIRED,
                requested_at=now - timedelta(days=n),
                built_at=now - timedelta(days=n),
                expires_at=now - timedelta(days=n - 1),
                size_bytes=1000,
            )
            for n in range(3)
        ]
    )
    app = await PartnerApp.create(name="Calendar sync", scopes=["user:read"])
    await PartnerGrant.create(
        app=app,
        user_id=user.id,
        scopes=["user:read"],
        redirect_uri="https://partner.example/back",
        code_hash=hashlib.sha256(b"bench grant").hexdigest(),
        code_challenge="x" * 43,
        code_expires_at=now,
        code_used_at=now,
        token_hash=hashlib.sha256(b"bench token").hexdigest(),
        token_expires_at=now + timedelta(days=30),
    )
    await SocialAccount.create(user_id=user.id, provider="oidc", uid="bench-uid")
    await SocialImport.bulk_create(
        [SocialImport(user_id=user.id, provider="oidc", field=f) for f in ImportedField]
    )


async def _security(user: User, staff: User, now: Any) -> None:
    """Credential-stuffing events and an incident the user was told of."""
    await SecurityEvent.bulk_create(
        [
            SecurityEvent(
                kind=SecurityEventKind.CREDENTIAL_STUFFING,
                ip_prefix=f"203.0.{n}.0/24",
                window_start=now - timedelta(hours=n + 1),
                window_end=now - timedelta(hours=n),
                account_count=5 + n,
                detected_at=now - timedelta(hours=n),
            )
            for n in range(10)
        ]
    )
    incident = await SecurityIncident.create(
        summary="A backup was readable for an hour.",
        detected_at=now - timedelta(days=2),
        categories=["CONTACT"],
        authority_deadline=now + timedelta(days=1),
        affected_user_count=1,
        notified_user_count=1,
        users_notified_at=now - timedelta(days=1),
        recorded_by_id=staff.id,
    )
    await AffectedUser.create(incident=incident, user_id=user.id, notified_at=now)


async def _featured_testimonials(now: Any) -> None:
    """Ten success stories: shown on the profile, permitted for marketing, featured."""
    chosen = await Testimonial.filter(profile_attribution__isnull=False).order_by("id").limit(10)
    await Testimonial.filter(id__in=[t.id for t in chosen]).update(
        marketing_attribution=Attribution.INITIALS, featured_at=now
    )


async def _daily_counts(now: Any) -> None:
    """A month of the daily counts Analytics reads (the sweep rolls them up from visits)."""
    posts = await Post.filter(status="PUBLISHED").order_by("id").limit(20)
    await DailyInteractionCount.bulk_create(
        [
            DailyInteractionCount(
                day=(now - timedelta(days=n)).date(),
                kind=InteractionKind.POST_VIEW,
                post_id=post.id,
                path=None,
                browser_family="Firefox",
                count=1 + (n + post.id) % 7,
            )
            for n in range(30)
            for post in posts
        ]
        + [
            DailyInteractionCount(
                day=(now - timedelta(days=n)).date(),
                kind=InteractionKind.PAGE_VIEW,
                path=path,
                browser_family=browser,
                count=10 + n,
            )
            for n in range(30)
            for path in ("/mentors", "/posts", "/mentors/:id")
            for browser in ("Firefox", "Chrome")
        ]
    )


async def sign_in_and_act(url: str, seeded: Seeded) -> None:
    """Through the API: log in (three sessions for the user), then what a user and staff do."""
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            seeded.tokens["user"] = await _log_in(session, url, seeded.user_email)
        seeded.tokens["staff"] = await _log_in(session, url, STAFF_EMAIL)
        user = {"Authorization": f"Bearer {seeded.tokens['user']}"}
        for purpose in ("ANALYTICS", "PREFERENCES", "MARKETING_EMAIL"):
            await _mutate(session, url, "SetConsent", {"purpose": purpose, "granted": True}, user)
        await _mutate(
            session, url, "SetConsent", {"purpose": "MARKETING_EMAIL", "granted": False}, user
        )
        await _mutate(session, url, "AcceptPrivacyPolicy", {"version": "1"}, user)
        preferences = {"language": "en", "timezone": "Europe/Paris", "currency": "EUR"}
        cookies = await _mutate(session, url, "RememberPreferences", preferences, user)
        seeded.visitor_cookie = f"{VISITOR_COOKIE}={cookies[VISITOR_COOKIE].value}"
        for post_id in seeded.post_ids:
            post = {"postId": global_id("Post", post_id)}
            await _mutate(session, url, "LikePost", post, user)
            await _mutate(session, url, "RecordInteraction", {"kind": "POST_VIEW", **post}, user)
        await _mutate(
            session, url, "RecordInteraction", {"kind": "PAGE_VIEW", "path": "/mentors"}, user
        )
        staff = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
        for n in range(3):
            app = {"name": f"Partner {n}", "scopes": ["MARKETPLACE_READ"], "redirectUris": []}
            await _mutate(session, url, "CreatePartnerApp", app, staff)


async def _log_in(session: aiohttp.ClientSession, url: str, email: str) -> str:
    given = {"email": email, "password": PASSWORD, "session": "TOKEN"}
    answer, _ = await _send(session, url, "LogIn", {"input": given})
    token: str = answer["data"]["logIn"]["token"]
    return token


async def _mutate(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    given: dict[str, Any],
    headers: dict[str, str],
) -> SimpleCookie:
    """Send a mutation of graphql/, which must succeed; answer the cookies it set."""
    answer, cookies = await _send(session, url, name, {"input": given}, headers)
    payload = next(iter(answer["data"].values()))
    if payload["errors"]:
        raise SystemExit(f"seeding through {name} failed: {payload['errors']}")
    return cookies


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], SimpleCookie]:
    body = {"query": DOCUMENT_TEXTS[name], "variables": variables}
    async with session.post(url, json=body, headers=headers or {}) as response:
        answer: dict[str, Any] = await response.json(content_type=None)
        cookies = response.cookies
    if answer.get("errors") or not answer.get("data"):
        raise SystemExit(f"seeding through {name} failed: {answer}")
    return answer, cookies

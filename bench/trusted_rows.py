"""The rows the trusted queries read that the bench writes directly (bench/trusted_queries.py
makes the rest through the API): what needs a system the bench does not run (Stripe, an
OAuth provider, a partner, the background builder of archives, the sweep's daily counts), and
what the app writes only at the end of a long flow (notifications, incidents, stuffing events).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from trusted_queries import PASSWORD, STAFF_EMAIL, Seeded

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

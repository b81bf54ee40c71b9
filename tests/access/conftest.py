"""A marketplace with a row of every model in every state that hides or shows it, and viewers
in every role, for the tests that prove each read path goes through the access rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from strawberry.relay import to_base64

from core import clock
from core.runtime import Runtime
from models.accounts import EmailToken, EmailTokenPurpose, Session, StaffPermission, User
from models.audit import AuditAction, AuditEntry
from models.deletion import AccountDeletion, DeletionStatus, LegalHold
from models.disclosures import DisclosureStatus, LegalDisclosure
from models.exports import DataExport, ExportStatus
from models.incidents import AffectedUser, SecurityIncident
from models.interactions import DailyInteractionCount, Interaction, InteractionKind
from models.marketing import CampaignRecipient, MarketingCampaign, PartnerDisclosure
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    MentorProfile,
    MentorTag,
    MentorTagKind,
    PermissionChange,
    Post,
    PostLike,
    PostStatus,
    PostTag,
    Testimonial,
    TestimonialPermissionEvent,
    TestimonialScope,
)
from models.notifications import Notification, NotificationKind, NotificationPreference
from models.outbox import OutboxEmail
from models.partner_apps import PartnerApp, PartnerGrant, PartnerKey, PartnerScope
from models.payments import (
    ConnectedAccount,
    Payment,
    PaymentMethod,
    StripeCustomer,
    WebhookEvent,
)
from models.privacy import (
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    PolicyAcceptance,
    PolicyAnnouncement,
    PrivacyQuestion,
    Visitor,
)
from models.security import SecurityEvent, SecurityEventKind
from models.social import (
    ImportedField,
    SocialAccount,
    SocialAssociation,
    SocialFlow,
    SocialImport,
    SocialLoginCode,
    SocialNonce,
)
from services.access.viewer import ANONYMOUS, Viewer
from services.privacy.policy import current_policy
from tests.conftest import wipe
from tests.support.backends import Backend
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

# Everyone who may ask, by role; "gone" is a mentor whose account was deactivated (their
# profile, posts and testimonials are hidden), "former" one who closed their mentor profile
# (their published post and displayed testimonial stay, leading to no profile).
SIGNED_IN_ROLES = (
    "client",
    "mentor",
    "stranger",
    "payments_staff",
    "moderator",
    "pii_staff",
    "users_staff",
    "security_staff",
    "marketing_staff",
    "legal_staff",
    "partners_staff",
)


def gid(type_name: str, row: object) -> str:
    return to_base64(type_name, row.pk)  # type: ignore[attr-defined]


@dataclass
class World:
    people: dict[str, SignedIn]
    mentor_profile: MentorProfile
    gone_profile: MentorProfile
    draft: Post
    published: Post
    former_post: Post
    job: Job
    private: Testimonial
    anonymous: Testimonial
    full_name: Testimonial
    hidden: Testimonial
    former_story: Testimonial
    payment: Payment
    card: PaymentMethod
    consent: ConsentRecord
    campaign: MarketingCampaign
    disclosure: PartnerDisclosure
    notification: Notification
    export: DataExport
    incident: SecurityIncident
    notice: AffectedUser
    audit_entry: AuditEntry
    session: Session
    security_event: SecurityEvent
    # Both made: the client may be told of the first, not of the second.
    legal_disclosure: LegalDisclosure
    secret_disclosure: LegalDisclosure
    social_account: SocialAccount
    partner_app: PartnerApp
    partner_key: PartnerKey
    # The client's: a partner app acting for them.
    partner_grant: PartnerGrant

    def viewer(self, role: str) -> Viewer:
        if role == "anonymous":
            return ANONYMOUS
        return Viewer(user=self.people[role].user)

    def token(self, role: str) -> str | None:
        return None if role == "anonymous" else self.people[role].token


async def _testimonial(
    author: User, mentor: User, *, profile: Attribution | None = None, **state: object
) -> Testimonial:
    job = await Job.create(
        client=author, mentor=mentor, description="Help", status=JobStatus.COMPLETED
    )
    return await Testimonial.create(
        job=job,
        author=author,
        mentor=mentor,
        rating=5,
        text=f"Words of {author.name}",
        profile_attribution=profile,
        **state,
    )


@pytest.fixture(scope="module")
async def world(backend: Backend, runtime: Runtime, mailbox: Mailbox) -> World:
    """Built once per module (its tests only read it, so they are marked ``shared_state``)."""
    await wipe(backend, runtime, mailbox)
    return await build_world(runtime)


async def build_world(runtime: Runtime) -> World:
    """The world's rows and people, in tables the caller wiped (tests/plans adds to it)."""
    users = UserFactory(runtime)
    p = StaffPermission
    people = {
        "client": await users.create("Carla Client"),
        "mentor": await users.create("Mia Mentor"),
        "gone": await users.create("Gus Gone"),
        "former": await users.create("Fay Former"),
        "stranger": await users.create("Sam Stranger"),
        "payments_staff": await users.create("Pat Payments", staff=[p.MANAGE_PAYMENTS]),
        "moderator": await users.create("Mo Moderator", staff=[p.MODERATE_CONTENT]),
        "pii_staff": await users.create("Pia Pii", staff=[p.VIEW_PII]),
        "users_staff": await users.create("Uma Users", staff=[p.MANAGE_USERS]),
        "security_staff": await users.create("Sid Security", staff=[p.SECURITY]),
        "marketing_staff": await users.create("Max Marketing", staff=[p.MANAGE_MARKETING]),
        "legal_staff": await users.create("Lea Legal", staff=[p.LEGAL]),
        # Partner apps' audit trails are audit-log entries: SECURITY reads them.
        "partners_staff": await users.create("Paz Partners", staff=[p.MANAGE_PARTNERS, p.SECURITY]),
    }
    client, mentor, gone, former = (
        people[name].user for name in ("client", "mentor", "gone", "former")
    )
    for number in range(4):  # the authors of the displayed testimonials, one each
        people[f"writer{number}"] = await users.create(f"Writer {number} Smith")
    writers = [people[f"writer{number}"].user for number in range(4)]
    mentor_profile = await MentorProfile.create(user=mentor, headline="Python", expertise=["py"])
    gone_profile = await MentorProfile.create(user=gone, headline="Gone")
    gone.is_active = False
    await gone.save()
    await MentorTag.create(mentor=mentor, kind=MentorTagKind.EXPERTISE, value="py")
    published_at = clock.now()
    draft = await Post.create(author=mentor, title="Draft", body="b", tags=["py"])
    published = await Post.create(
        author=mentor, title="Out", body="b", status=PostStatus.PUBLISHED, published_at=published_at
    )
    await Post.create(
        author=gone,
        title="Hidden",
        body="b",
        status=PostStatus.PUBLISHED,
        published_at=published_at,
    )
    former_post = await Post.create(
        author=former, title="Old", body="b", status=PostStatus.PUBLISHED, published_at=published_at
    )
    await PostTag.create(post=draft, value="py")
    await PostLike.create(post=published, user=people["stranger"].user)

    job = await Job.create(
        client=client, mentor=mentor, description="Refactor", status=JobStatus.COMPLETED
    )
    private = await Testimonial.create(job=job, author=client, mentor=mentor, rating=3, text="Ok")
    anonymous = await _testimonial(writers[0], mentor, profile=Attribution.ANONYMOUS)
    full_name = await _testimonial(
        writers[1],
        mentor,
        profile=Attribution.FULL_NAME,
        marketing_attribution=Attribution.INITIALS,
        featured_at=clock.now(),
    )
    hidden = await _testimonial(
        writers[2], mentor, profile=Attribution.FULL_NAME, hidden_at=clock.now()
    )
    former_story = await _testimonial(
        writers[3],
        former,
        profile=Attribution.INITIALS,
        marketing_attribution=Attribution.INITIALS,
        featured_at=clock.now(),
    )
    for row in (anonymous, former_story):
        await TestimonialPermissionEvent.create(
            testimonial=row,
            author_id=row.author_id,
            scope=TestimonialScope.PROFILE,
            change=PermissionChange.GRANTED,
            attribution=row.profile_attribution,
        )

    payment = await Payment.create(
        job=job,
        client=client,
        amount_cents=5000,
        currency="EUR",
        stripe_payment_intent_id="pi_world",
        paid_at=clock.now(),
    )
    card = await PaymentMethod.create(
        user=client,
        stripe_payment_method_id="pm_world",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )
    await StripeCustomer.create(user=client, stripe_customer_id="cus_world")
    await ConnectedAccount.create(user=mentor, stripe_account_id="acct_world")
    await WebhookEvent.create(stripe_event_id="evt_world", type="x", payload={}, user=client)
    await EmailToken.create(
        user=client,
        purpose=EmailTokenPurpose.VERIFY_EMAIL,
        token_hash="0" * 64,
        expires_at=clock.now(),
    )
    audit_entry = await AuditEntry.create(
        action=AuditAction.LOGIN,
        actor=client,
        subject=client,
        ip_prefix="192.0.2.0/24",
        browser_family="Firefox",
    )
    security_event = await SecurityEvent.create(
        kind=SecurityEventKind.CREDENTIAL_STUFFING,
        ip_prefix="198.51.100.0/24",
        window_start=clock.now(),
        window_end=clock.now(),
        account_count=20,
        detected_at=clock.now(),
    )
    await OutboxEmail.create(
        recipient=client,
        to_address="c@example.com",
        subject="s",
        body="b",
        next_attempt_at=clock.now(),
    )
    await PrivacyQuestion.create(
        user=client,
        reply_to="c@example.com",
        subject="Cookies",
        message="Which cookies do you set?",
        created_at=clock.now(),
    )
    visitor = await Visitor.create(token_hash="1" * 64, user=client)
    policy = await current_policy()
    consent = await ConsentRecord.create(
        user=client,
        visitor=visitor,
        purpose=ConsentPurpose.ANALYTICS,
        granted=True,
        source=ConsentSource.WEB,
        policy=policy,
        decided_at=clock.now(),
    )
    await PolicyAcceptance.create(
        user=client, policy=policy, source=ConsentSource.SIGN_UP, accepted_at=clock.now()
    )
    # Finished, so the background sweep announces nothing to the world's users.
    await PolicyAnnouncement.create(policy=policy, finished_at=clock.now())
    # The client, who granted ANALYTICS above, opened both published posts; a visitor too.
    for post in (published, former_post):
        await Interaction.create(
            user=client,
            kind=InteractionKind.POST_VIEW,
            post=post,
            occurred_at=clock.now(),
            day=clock.now().date(),
            ip_prefix="192.0.2.0/24",
            browser_family="Firefox",
        )
    await Interaction.create(
        visitor=visitor,
        kind=InteractionKind.PAGE_VIEW,
        path="/mentors",
        occurred_at=clock.now(),
        day=clock.now().date(),
    )
    await DailyInteractionCount.create(
        day=clock.now().date(), kind=InteractionKind.PAGE_VIEW, path="/mentors", count=3
    )
    campaign = await MarketingCampaign.create(subject="News", body="b")
    await CampaignRecipient.create(campaign=campaign, user=client, queued_at=clock.now())
    disclosure = await PartnerDisclosure.create(
        user=client,
        partner="Adverts",
        purpose="Ads",
        country="DE",
        fields_sent=["email_sha256"],
        disclosed_at=clock.now(),
    )
    # The client's notification names the job, its private testimonial and the payment.
    notification = await Notification.create(
        recipient=client,
        kind=NotificationKind.PAYMENT_REFUNDED,
        title="Refund issued",
        body="Part of your payment was refunded.",
        job=job,
        testimonial=private,
        payment=payment,
    )
    await NotificationPreference.create(
        user=client, kind=NotificationKind.JOB_ACCEPTED, email=False
    )
    await AccountDeletion.create(
        user=gone,
        status=DeletionStatus.SCHEDULED,
        requested_at=clock.now(),
        pseudonym="world-pseudonym",
    )
    await LegalHold.create(
        user=client, reference="Case 1", reason="Court order", placed_at=clock.now()
    )
    export = await DataExport.create(
        user=client,
        status=ExportStatus.READY,
        requested_at=clock.now(),
        ready_at=clock.now(),
        expires_at=clock.now() + runtime.settings.data_export_lifetime,
        file_key="world-export.zip",
        size_bytes=22,
    )
    # An incident that concerned the client, who was told of it.
    incident = await SecurityIncident.create(
        summary="A backup was exposed",
        detected_at=clock.now(),
        categories=["CONTACT"],
        authority_deadline=clock.now(),
        affected_user_count=1,
        notified_user_count=1,
        users_notified_at=clock.now(),
    )
    notice = await AffectedUser.create(incident=incident, user=client, notified_at=clock.now())
    made = {
        "user": client,
        "requested_by": people["legal_staff"].user,
        "authority": "Court",
        "categories": ["CONTACT"],
        "status": DisclosureStatus.DOWNLOADED,
        "requested_at": clock.now(),
        "built_at": clock.now(),
        # After the partner share, so the client's list shows it first.
        "downloaded_at": disclosure.disclosed_at + timedelta(seconds=1),
    }
    legal_disclosure = await LegalDisclosure.create(
        legal_reference="Order 1", notify_subject=True, **made
    )
    secret_disclosure = await LegalDisclosure.create(
        legal_reference="Order 2", notify_subject=False, **made
    )
    social_account = await SocialAccount.create(user=client, provider="acme", uid="client-at-acme")
    await SocialImport.create(user=client, provider="acme", field=ImportedField.NAME)
    await SocialLoginCode.create(
        user=client, code_hash="c" * 64, provider="acme", expires_at=clock.now()
    )
    # A login under way, and the library's records of it: they name nobody.
    await SocialFlow.create(key_hash="f" * 64, data={}, expires_at=clock.now())
    await SocialNonce.create(server_url="social_core.oauth2.acme", timestamp=1, salt="s")
    await SocialAssociation.create(
        server_url="https://id.acme.example",
        handle="n",
        secret="",
        issued=1,
        lifetime=600,
        assoc_type="state",
    )
    partner_app = await PartnerApp.create(
        name="Calendar", scopes=[PartnerScope.USER_READ.value], redirect_uris=["https://c.example/"]
    )
    partner_key = await PartnerKey.create(
        app=partner_app, key_hash="k" * 64, hint="mpk_live_kkkkkkk"
    )
    partner_grant = await PartnerGrant.create(
        app=partner_app,
        user=client,
        scopes=[PartnerScope.USER_READ.value],
        redirect_uri="https://c.example/",
        code_hash="g" * 64,
        code_challenge="c" * 43,
        code_expires_at=clock.now(),
        code_used_at=clock.now(),
        token_hash="t" * 64,
        token_expires_at=clock.now() + timedelta(days=1),
    )
    await AuditEntry.create(
        action=AuditAction.PARTNER_APP_CREATED, partner_app=partner_app, detail={}
    )
    return World(
        people=people,
        mentor_profile=mentor_profile,
        gone_profile=gone_profile,
        draft=draft,
        published=published,
        former_post=former_post,
        job=job,
        private=private,
        anonymous=anonymous,
        full_name=full_name,
        hidden=hidden,
        former_story=former_story,
        payment=payment,
        card=card,
        consent=consent,
        campaign=campaign,
        disclosure=disclosure,
        notification=notification,
        export=export,
        incident=incident,
        notice=notice,
        audit_entry=audit_entry,
        session=await Session.get(user=client),
        security_event=security_event,
        legal_disclosure=legal_disclosure,
        secret_disclosure=secret_disclosure,
        social_account=social_account,
        partner_app=partner_app,
        partner_key=partner_key,
        partner_grant=partner_grant,
    )

"""The world the differential suite asks about: the access tests' marketplace (a row of every
model in every state that hides or shows it), with what a comparison of answers needs besides:
a second mentor who set nothing (nulls, empty pages), lists long enough for a full first page
followed by a second one, and a staff member for every staff permission."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge

from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission
from models.marketplace import Job, JobStatus, MentorProfile, Post, PostStatus
from models.notifications import Notification, NotificationKind
from models.partner_apps import PartnerScope
from models.privacy import ConsentPurpose, ConsentRecord, ConsentSource
from services import partner_apps, partner_oauth
from services.client import ClientInfo
from services.privacy.policy import current_policy
from tests.access.conftest import SIGNED_IN_ROLES, World, build_world, gid
from tests.support.users import SignedIn, UserFactory

# Every viewer the suite asks as. "stranger" is a signed-in user the data does not concern;
# "client" and "mentor" own the world's job, its payment and its testimonial, and are each
# other's counterparty; "other_mentor" is a mentor who is party to none of it (but to a job of
# the client's of their own); "former" closed their mentor profile; one staff member per
# permission (partners_staff also holds SECURITY, which their apps' audit trail needs), and
# "all_staff", who holds every one.
ADDED_STAFF = {
    "policy_staff": [StaffPermission.MANAGE_POLICY],
    "analytics_staff": [StaffPermission.VIEW_ANALYTICS],
    "staff_admin": [StaffPermission.MANAGE_STAFF],
    "all_staff": list(StaffPermission),
}
# A partner app asks with its own key (public marketplace reads only), and with the token it
# holds for the client, who granted it marketplace and user reads.
PARTNER_ROLES = ("partner_app", "partner_for_client")
ROLES = ("anonymous", "other_mentor", "former", *SIGNED_IN_ROLES, *ADDED_STAFF, *PARTNER_ROLES)
CALLBACK = "https://partner.example/callback"
WORLD_CLIENT = ClientInfo(ip="127.0.0.1", user_agent="differential", request_id="world", gpc=False)
# Every role asks with a document's defaults and with each ID of the world; the other valid
# variables (pages, enum values, filters) are asked by a viewer of each kind, and invalid ones,
# refused alike whoever asks (or by a check only a party's or staff's request reaches), by
# fewer still.
VARIATION_ROLES = ("anonymous", "stranger", "client", "mentor", "all_staff")
INVALID_VARIABLES_ROLES = ("anonymous", "client", "all_staff")
# Far beyond any row the world holds.
ABSENT_ROW = 10**9


@dataclass
class PlansWorld:
    base: World
    people: dict[str, SignedIn]
    other_profile: MentorProfile
    other_job: Job
    posts: list[Post]
    partner_credentials: dict[str, str]

    def token(self, role: str) -> str | None:
        if role in self.partner_credentials:
            return self.partner_credentials[role]
        return None if role == "anonymous" else self.people[role].token

    def user_id(self, role: str) -> str:
        return gid("User", self.people[role].user)


async def build_plans_world(runtime: Runtime) -> PlansWorld:
    """The access world and the additions above, in tables the caller wiped."""
    base = await build_world(runtime)
    users = UserFactory(runtime)
    people = dict(base.people)
    for role, permissions in ADDED_STAFF.items():
        people[role] = await users.create(
            role.replace("_", " ").title(), email=f"{role}@example.com", staff=permissions
        )
    people["other_mentor"] = await users.create("Otto Other", email="other_mentor@example.com")
    # No headline, rate, timezone, testimonial or post: every nullable field null, every page
    # of theirs empty.
    other_profile = await MentorProfile.create(user=people["other_mentor"].user)
    client = people["client"].user
    other_job = await Job.create(
        client=client,
        mentor=people["other_mentor"].user,
        description="Review my schema",
        status=JobStatus.ACCEPTED,
        price_cents=4000,
        currency="EUR",
        accepted_at=clock.now(),
    )
    await Notification.create(
        recipient=client,
        kind=NotificationKind.JOB_ACCEPTED,
        title="Job accepted",
        body="Your job was accepted.",
        job=other_job,
    )
    # The mentor lets the service remember display preferences (the client granted ANALYTICS).
    await ConsentRecord.create(
        user=base.people["mentor"].user,
        purpose=ConsentPurpose.PREFERENCES,
        granted=True,
        source=ConsentSource.WEB,
        policy=await current_policy(),
        decided_at=clock.now(),
    )
    # The world's mentor gets three more published posts: four in all, so a first page of one
    # or three has another after it.
    posts = [base.published]
    for number in range(3):
        posts.append(
            await Post.create(
                author=base.people["mentor"].user,
                title=f"Part {number}",
                body="b",
                tags=["py"],
                status=PostStatus.PUBLISHED,
                published_at=clock.now(),
            )
        )
    return PlansWorld(
        base=base,
        people=people,
        other_profile=other_profile,
        other_job=other_job,
        posts=posts,
        partner_credentials=await _partner_credentials(runtime, base.people["client"]),
    )


async def _partner_credentials(runtime: Runtime, client: SignedIn) -> dict[str, str]:
    """A partner app's key, and the token the client's consent gives it (the OAuth flow's
    own steps: the consent, then the code exchanged with the PKCE verifier)."""
    secret_key = runtime.settings.secret_key
    scopes = [PartnerScope.MARKETPLACE_READ, PartnerScope.USER_READ]
    app, issued = await partner_apps.create_app(
        secret_key, "Differential", scopes, redirect_uris=[CALLBACK], actor_id=None
    )
    verifier = secrets.token_urlsafe(48)
    client_id = partner_apps.client_id(app.id)
    consent = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": " ".join(scopes),
        "state": "differential",
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    location = await partner_oauth.authorize(secret_key, client.user, consent, WORLD_CLIENT)
    [code] = parse_qs(urlsplit(location).query)["code"]
    exchange = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": client_id,
        "client_secret": issued.raw,
        "code_verifier": verifier,
    }
    status, token = await partner_oauth.exchange_code(
        secret_key, "https://api.invalid/oauth/token", {}, list(exchange.items()), WORLD_CLIENT
    )
    assert status == 200, token
    return {"partner_app": issued.raw, "partner_for_client": token["access_token"]}

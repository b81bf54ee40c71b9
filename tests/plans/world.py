"""The world the differential suite asks about: the access tests' marketplace (a row of every
model in every state that hides or shows it), with what a comparison of answers needs besides:
a second mentor who set nothing (nulls, empty pages), lists long enough for a full first page
followed by a second one, and a staff member for every staff permission."""

from __future__ import annotations

from dataclasses import dataclass

from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission
from models.marketplace import Job, JobStatus, MentorProfile, Post, PostStatus
from models.notifications import Notification, NotificationKind
from models.privacy import ConsentPurpose, ConsentRecord, ConsentSource
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
ROLES = ("anonymous", "other_mentor", "former", *SIGNED_IN_ROLES, *ADDED_STAFF)
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

    def token(self, role: str) -> str | None:
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
    )

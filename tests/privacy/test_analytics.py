"""Retention and staff analytics: raw interactions become daily counts that name nobody after
ANALYTICS_RETENTION_DAYS (P17), and staff read counts only, never a person (P12)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from strawberry.relay import to_base64

from app.tasks import BackgroundWork
from core import clock, limits
from core.runtime import Runtime
from core.settings import ConfigurationError, Settings
from models.accounts import StaffPermission
from models.interactions import DailyInteractionCount, Interaction, InteractionKind
from models.marketplace import Job, JobStatus, MentorProfile, Post, PostStatus
from services import analytics
from services.analytics import path_pattern
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P17")

ANALYTICS = document("Analytics")
RECORD = document("RecordInteraction")
SET_CONSENT = (
    "mutation S($input: SetConsentInput!) { setConsent(input: $input) { errors { code } } }"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
K = InteractionKind


@pytest.mark.parametrize(
    ("path", "pattern"),
    [
        ("/mentors", "/mentors"),
        ("/posts/42", "/posts/:id"),
        ("/posts/tuning-42", "/posts/tuning-:id"),
        ("/posts/42-tuning-queries", "/posts/:id"),
        ("/posts/UG9zdDo0Mg==", "/posts/:id"),
        ("/users/alice@example.com/jobs", "/users/:id/jobs"),
        ("/users/alice%40example.com", "/users/:id"),
        ("/jobs/550e8400-e29b-41d4-a716-446655440000", "/jobs/:id"),
        ("/reset/aB3dE5fG7hJ9kL1mN3pQ", "/reset/:id"),
        ("/v2/help", "/v2/help"),
        ("/", "/"),
    ],
)
def test_a_path_is_counted_as_its_page_without_ids(path: str, pattern: str) -> None:
    assert path_pattern(path) == pattern


async def _consenting(graphql: GraphQLClient, who: SignedIn) -> None:
    grant = {"input": {"purpose": "ANALYTICS", "granted": True}}
    await graphql.data(SET_CONSENT, grant, token=who.token)


async def _record(graphql: GraphQLClient, who: SignedIn, **report: Any) -> None:
    body = await graphql.data(
        RECORD, {"input": report}, token=who.token, headers={"User-Agent": FIREFOX}
    )
    assert body["recordInteraction"]["errors"] == []


async def _published(author: SignedIn, title: str) -> Post:
    if not await MentorProfile.exists(user_id=author.user.id):
        await MentorProfile.create(user=author.user, headline="Mentor")
    return await Post.create(author=author.user, title=title, body="b", status=PostStatus.PUBLISHED)


def _counts() -> Any:
    return (
        DailyInteractionCount.all()
        .order_by("kind", "path")
        .values_list("kind", "path", "post_id", "browser_family", "count")
    )


async def test_rows_are_rolled_into_counts_after_the_retention_and_only_once(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, settings: Settings
) -> None:
    alice = await users.create("Alice")
    post = await _published(await users.create("Ann"), "Indexes")
    await _consenting(graphql, alice)
    for path in ("/posts/41", "/posts/42", "/mentors"):
        await _record(graphql, alice, kind="PAGE_VIEW", path=path)
    await _record(graphql, alice, kind="POST_VIEW", postId=to_base64("Post", post.id))
    await _record(graphql, alice, kind="TIME_ON_PAGE", path="/posts/42", durationMs=30_000)
    background = runtime.outbox
    assert isinstance(background, BackgroundWork)

    with clock.moved_clock(settings.analytics_retention - timedelta(hours=1)):
        assert await background.roll_up_interactions() == 0
    assert await Interaction.all().count() == 5, "kept for the whole retention period"

    with clock.moved_clock(settings.analytics_retention + timedelta(hours=1)):
        assert await background.roll_up_interactions() == 5
        assert await background.roll_up_interactions() == 0, "a re-run counts nothing again"
    assert await Interaction.all().count() == 0
    assert await _counts() == [
        (K.PAGE_VIEW, "/mentors", None, "Firefox", 1),
        (K.PAGE_VIEW, "/posts/:id", None, "Firefox", 2),
        (K.POST_VIEW, None, post.id, "Firefox", 1),
        (K.TIME_ON_PAGE, "/posts/:id", None, "Firefox", 1),
    ]
    (day,) = set(await DailyInteractionCount.all().values_list("day", flat=True))
    assert day == datetime.now(UTC).date()


def test_the_retention_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "a secret for this test")
    monkeypatch.setenv("DATABASE_URL", "sqlite://:memory:")
    monkeypatch.delenv("ANALYTICS_RETENTION_DAYS", raising=False)
    assert Settings.from_env().analytics_retention == timedelta(days=90)
    monkeypatch.setenv("ANALYTICS_RETENTION_DAYS", "30")
    assert Settings.from_env().analytics_retention == timedelta(days=30)
    monkeypatch.setenv("ANALYTICS_RETENTION_DAYS", "0")
    with pytest.raises(ConfigurationError):
        Settings.from_env()


def _old_rows(how_many: int) -> list[Interaction]:
    long_ago = clock.now() - timedelta(days=400)
    return [
        Interaction(
            kind=K.PAGE_VIEW,
            path=f"/posts/{number}",
            occurred_at=long_ago,
            day=long_ago.date(),
            browser_family="Firefox",
        )
        for number in range(how_many)
    ]


async def _counted_total() -> int:
    return sum(await DailyInteractionCount.all().values_list("count", flat=True))


async def test_a_crash_mid_roll_up_counts_nothing_and_the_rerun_counts_once(
    monkeypatch: pytest.MonkeyPatch, runtime: Runtime
) -> None:
    await Interaction.bulk_create(_old_rows(limits.MAX_ROLLUP_BATCH + 5))
    real_add = analytics._add
    calls = 0

    async def crashing_add(*args: Any) -> None:
        nonlocal calls
        calls += 1
        await real_add(*args)
        if calls == 1:
            raise RuntimeError("the process died here")

    monkeypatch.setattr(analytics, "_add", crashing_add)
    with pytest.raises(RuntimeError):
        await analytics.roll_up(clock.now())
    assert await _counted_total() == 0
    assert await Interaction.all().count() == limits.MAX_ROLLUP_BATCH + 5

    monkeypatch.setattr(analytics, "_add", real_add)
    assert await analytics.roll_up(clock.now()) == limits.MAX_ROLLUP_BATCH + 5
    assert await _counted_total() == limits.MAX_ROLLUP_BATCH + 5
    assert await Interaction.all().count() == 0


async def test_sweeps_running_side_by_side_count_every_row_once(runtime: Runtime) -> None:
    total = 3 * limits.MAX_ROLLUP_BATCH + 7
    await Interaction.bulk_create(_old_rows(total))
    # The app's own periodic sweep would be a fourth, uncounted one: hold it back.
    assert isinstance(runtime.outbox, BackgroundWork)
    async with runtime.outbox.paused():
        rolled = await asyncio.gather(*(analytics.roll_up(clock.now()) for _ in range(3)))
    assert sum(rolled) == total
    assert await _counted_total() == total
    assert await DailyInteractionCount.all().count() <= 3, "one key, split at most per sweep"


@pytest.fixture
async def analyst(users: UserFactory) -> SignedIn:
    return await users.create("Ana Analyst", staff=[StaffPermission.VIEW_ANALYTICS])


def _range(first: date, last: date) -> dict[str, Any]:
    return {"range": {"from": first.isoformat(), "to": last.isoformat()}}


async def test_analytics_is_for_staff_holding_view_analytics(
    graphql: GraphQLClient, users: UserFactory, analyst: SignedIn
) -> None:
    today = datetime.now(UTC).date()
    pii_staff = await users.create("Pia", staff=[StaffPermission.VIEW_PII])
    assert error_codes(await graphql(ANALYTICS, _range(today, today))) == ["UNAUTHENTICATED"]
    asked = await graphql(ANALYTICS, _range(today, today), token=pii_staff.token)
    assert error_codes(asked) == ["FORBIDDEN"]
    answer = await graphql.data(ANALYTICS, _range(today, today), token=analyst.token)
    assert answer["analytics"]["from"] == answer["analytics"]["to"] == today.isoformat()


@pytest.mark.parametrize(
    ("days_back", "days_on", "field"),
    [(0, -1, "to"), (0, limits.MAX_ANALYTICS_DAYS, "range")],
)
async def test_a_range_backwards_or_too_long_is_refused(
    graphql: GraphQLClient, analyst: SignedIn, days_back: int, days_on: int, field: str
) -> None:
    first = datetime.now(UTC).date() - timedelta(days=days_back)
    body = await graphql(
        ANALYTICS, _range(first, first + timedelta(days=days_on)), token=analyst.token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def _decoded(text: str) -> str:
    try:
        return base64.b64decode(text, validate=True).decode()
    except ValueError:
        return text


@pytest.mark.promise("P12")
async def test_staff_see_rolled_up_and_live_counts_and_never_a_person(
    graphql: GraphQLClient, users: UserFactory, analyst: SignedIn, settings: Settings
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    bob = await users.create("Bob", email="bob@example.com")
    ann = await users.create("Ann", email="ann@example.com")
    indexes, joins = await _published(ann, "Indexes"), await _published(ann, "Joins")
    await Job.create(client=alice.user, mentor=ann.user, description="Help", status=JobStatus.PAID)
    for who in (alice, bob):
        await _consenting(graphql, who)
    then = settings.analytics_retention + timedelta(days=2)
    with clock.moved_clock(-then):
        await _record(graphql, alice, kind="PAGE_VIEW", path=f"/users/{alice.global_id}")
        await _record(graphql, alice, kind="POST_VIEW", postId=to_base64("Post", joins.id))
    assert await analytics.roll_up(clock.now() - settings.analytics_retention) == 2
    for who in (alice, bob):
        await _record(graphql, who, kind="POST_VIEW", postId=to_base64("Post", indexes.id))
        await _record(graphql, who, kind="PAGE_VIEW", path=f"/posts/{indexes.id}")
    await _record(graphql, bob, kind="PAGE_VIEW", path="/mentors/alice@example.com")

    today = datetime.now(UTC).date()
    earlier = (clock.now() - then).date()
    answer = (await graphql.data(ANALYTICS, _range(earlier, today), token=analyst.token))[
        "analytics"
    ]
    days = answer["viewsPerDay"]
    assert len(days) == (today - earlier).days + 1
    assert days[0] == {"day": earlier.isoformat(), "pageViews": 1, "postViews": 1}
    assert days[-1] == {"day": today.isoformat(), "pageViews": 3, "postViews": 2}
    assert answer["topPosts"] == [
        {"views": 2, "post": {"id": to_base64("Post", indexes.id), "title": "Indexes"}},
        {"views": 1, "post": {"id": to_base64("Post", joins.id), "title": "Joins"}},
    ]
    assert answer["topPages"] == [
        {"path": "/posts/:id", "views": 2},
        {"path": "/mentors/:id", "views": 1},
        {"path": "/users/:id", "views": 1},
    ]
    assert answer["browsers"] == [{"family": "Firefox", "views": 7}]
    assert answer["signUpsPerDay"][-1] == {"day": today.isoformat(), "signUps": 4}
    assert {row["status"]: row["jobs"] for row in answer["jobsPerStatus"]}["PAID"] == 1

    people = {who.user for who in (alice, bob, ann, analyst)}
    user_ids = {to_base64("User", user.id) for user in people}
    texts = _strings(answer)
    assert not user_ids & set(texts)
    assert not [text for text in texts if _decoded(text).startswith("User:")]
    assert not [text for text in texts if "@" in text or "127.0.0" in text]
    assert not [text for text in texts if text.startswith("/") and any(c.isdigit() for c in text)]
    assert "alice" not in json.dumps(answer).lower()

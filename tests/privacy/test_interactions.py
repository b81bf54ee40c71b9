"""Interactions and browser data (P4, P5, P17): kept only with ANALYTICS consent, with the
network truncated and the browser parsed, and given back to their owner only with it."""

from __future__ import annotations

import ipaddress
from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from strawberry.relay import to_base64

from core import limits
from core.runtime import Runtime
from models.interactions import Interaction, InteractionKind
from models.marketplace import MentorProfile, MentorTag, MentorTagKind, Post, PostStatus, PostTag
from services.access.policy import Category, Erasure
from services.access.registry import REGISTRY
from services.client import browser_of
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P17")

RECORD = document("RecordInteraction")
LIKED = document("LikedPosts")
HISTORY = document("ViewHistory")
RECOMMENDED = document("RecommendedMentors")
SET_CONSENT = """
mutation SetConsent($input: SetConsentInput!) {
  setConsent(input: $input) { errors { code } }
}
"""
POST = "query Post($id: ID!) { post(id: $id) { viewCount } }"
LIKE = "mutation L($input: LikePostInput!) { likePost(input: $input) { errors { code } } }"
UNLIKE = "mutation U($input: UnlikePostInput!) { unlikePost(input: $input) { errors { code } } }"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
VISITOR = "mentor_visitor"


class Browser:
    """One browser: its visitor cookie once it has one, its User-Agent, its headers."""

    def __init__(self, http: TestClient[Any, Any], user_agent: str = CHROME_ON_WINDOWS) -> None:
        self.http = http
        self.user_agent = user_agent
        self.visitor: str | None = None

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        sent = {"User-Agent": self.user_agent, **headers}
        if self.visitor:
            sent["Cookie"] = f"{VISITOR}={self.visitor}"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
        )
        cookies: SimpleCookie = SimpleCookie()
        for header in response.headers.getall("Set-Cookie", []):
            cookies.load(header)
        if VISITOR in cookies:
            self.visitor = cookies[VISITOR].value
        body: dict[str, Any] = await response.json()
        return body

    async def consent(self, granted: bool, **headers: str) -> None:
        chosen = {"input": {"purpose": "ANALYTICS", "granted": granted}}
        assert (await self(SET_CONSENT, chosen, **headers))["data"]["setConsent"]["errors"] == []

    async def record(self, **report: Any) -> dict[str, Any]:
        return await self(RECORD, {"input": report})


def page_view(path: str = "/mentors") -> dict[str, Any]:
    return {"kind": "PAGE_VIEW", "path": path}


def post_id(post: Post) -> str:
    return to_base64("Post", post.id)


def recorded_fine(body: dict[str, Any]) -> bool:
    return "errors" not in body and body["data"]["recordInteraction"] == {"errors": []}


async def published_post(
    author: SignedIn, title: str = "Indexes", tags: list[str] | None = None
) -> Post:
    if not await MentorProfile.exists(user_id=author.user.id):
        await MentorProfile.create(user=author.user, headline="Mentor")
    post = await Post.create(
        author=author.user, title=title, body="b", tags=tags or [], status=PostStatus.PUBLISHED
    )
    await PostTag.bulk_create([PostTag(post=post, value=tag) for tag in tags or []])
    return post


@pytest.mark.promise("P5")
@pytest.mark.promise("P6")
async def test_a_visitor_is_recorded_only_while_analytics_is_granted(
    http: TestClient[Any, Any],
) -> None:
    browser = Browser(http)
    assert recorded_fine(await browser.record(**page_view()))
    assert await Interaction.all().count() == 0, "no consent, no record, and the same answer"

    await browser.consent(True)
    assert recorded_fine(await browser.record(**page_view("/mentors?search=sql#top")))
    (row,) = await Interaction.all()
    assert row.visitor_id is not None and row.user_id is None
    assert (row.kind, row.path, row.ip_prefix) == (
        InteractionKind.PAGE_VIEW,
        "/mentors",
        "127.0.0.0/24",
    )
    assert (row.browser_family, row.os_family) == ("Chrome", "Windows")
    stored = " ".join(str(getattr(row, column)) for column in Interaction._meta.db_fields)
    assert "Mozilla" not in stored and "127.0.0.1" not in stored, "never the raw UA or address"

    await browser.consent(False)
    assert recorded_fine(await browser.record(**page_view()))
    assert await Interaction.all().count() == 1, "withdrawn: nothing more"


@pytest.mark.promise("P5")
async def test_an_ipv6_caller_is_kept_as_its_48_network(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxies = (ipaddress.ip_network("127.0.0.0/8"),)
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(trusted_proxies=proxies)
    )
    browser = Browser(http)
    forwarded = {"X-Forwarded-For": "2001:db8:1234:5678:9abc::1"}
    await browser.consent(True, **forwarded)
    assert recorded_fine(await browser(RECORD, {"input": page_view()}, **forwarded))
    (row,) = await Interaction.all()
    assert row.ip_prefix == "2001:db8:1234::/48"


async def test_an_account_is_recorded_with_its_consent_and_gpc_does_not_cover_analytics(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    """Global Privacy Control opts out of selling and sharing; analytics is the ledger's."""
    alice = await users.create("Alice")
    gpc = {"Sec-GPC": "1", "User-Agent": CHROME_ON_WINDOWS}
    assert await graphql.data(RECORD, {"input": page_view()}, token=alice.token, headers=gpc)
    assert await Interaction.all().count() == 0
    grant = {"input": {"purpose": "ANALYTICS", "granted": True}}
    await graphql.data(SET_CONSENT, grant, token=alice.token, headers=gpc)
    await graphql.data(RECORD, {"input": page_view()}, token=alice.token, headers=gpc)
    (row,) = await Interaction.all()
    assert (row.user_id, row.visitor_id) == (alice.user.id, None)


BAD_REPORTS = [
    ({"kind": "PAGE_VIEW", "path": "/" + "a" * limits.MAX_INTERACTION_PATH_LENGTH}, "path"),
    ({"kind": "PAGE_VIEW", "path": "https://elsewhere.example/"}, "path"),
    ({"kind": "PAGE_VIEW"}, "path"),
    ({"kind": "POST_VIEW", "path": "/posts"}, "postId"),
    ({"kind": "TIME_ON_PAGE", "path": "/mentors"}, "durationMs"),
    ({"kind": "TIME_ON_PAGE", "path": "/mentors", "durationMs": -1}, "durationMs"),
    (
        {"kind": "TIME_ON_PAGE", "path": "/mentors", "durationMs": limits.MAX_TIME_ON_PAGE_MS + 1},
        "durationMs",
    ),
    ({"kind": "PAGE_VIEW", "path": "/mentors", "durationMs": 5}, "durationMs"),
    ({"kind": "POST_VIEW", "postId": to_base64("User", 1)}, "postId"),
    ({"kind": "POST_VIEW", "postId": to_base64("Post", 10**9)}, "postId"),
]


@pytest.mark.parametrize(("report", "field"), BAD_REPORTS)
async def test_bad_input_is_refused_and_nothing_is_written(
    http: TestClient[Any, Any], report: dict[str, Any], field: str
) -> None:
    browser = Browser(http)
    await browser.consent(True)
    body = await browser.record(**report)
    (error,) = body["data"]["recordInteraction"]["errors"]
    assert (error["field"], error["code"]) == (field, "BAD_USER_INPUT")
    assert await Interaction.all().count() == 0


async def test_bad_input_is_refused_without_consent_too_and_an_unknown_kind_is_invalid(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    author = await users.create("Ann")
    draft = await Post.create(author=author.user, title="Draft", body="b")
    browser = Browser(http)
    body = await browser.record(kind="POST_VIEW", postId=post_id(draft))
    assert body["data"]["recordInteraction"]["errors"][0]["field"] == "postId"
    assert error_codes(await browser.record(kind="MIND_READING")) == ["BAD_USER_INPUT"]


@pytest.mark.promise("P4")
async def test_post_views_are_counted_whatever_the_consent_but_recorded_only_with_it(
    http: TestClient[Any, Any], users: UserFactory
) -> None:
    post = await published_post(await users.create("Ann"))
    for granted in (False, True):
        browser = Browser(http)
        if granted:
            await browser.consent(True)
        await browser(POST, {"id": post_id(post)})
        assert recorded_fine(await browser.record(kind="POST_VIEW", postId=post_id(post)))
    assert (await Post.get(id=post.id)).view_count == 2, "one per opening, never per report"
    (row,) = await Interaction.all()
    assert (row.kind, row.post_id) == (InteractionKind.POST_VIEW, post.id)


async def test_recording_is_throttled_per_visitor_and_per_network(
    http: TestClient[Any, Any], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        runtime,
        "settings",
        runtime.settings.with_overrides(interactions_per_visitor=2, interactions_per_ip=3),
    )
    consenting = Browser(http)
    await consenting.consent(True)
    answers = [await consenting.record(**page_view()) for _ in range(3)]
    assert [error_codes(body) for body in answers] == [[], [], ["RATE_LIMITED"]]
    assert await Interaction.all().count() == 2
    cookieless = Browser(http)
    answers = [await cookieless.record(**page_view()) for _ in range(4)]
    assert [error_codes(body) for body in answers] == [[], [], [], ["RATE_LIMITED"]]


def test_the_browser_is_kept_as_its_family_only() -> None:
    safari = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    )
    assert (browser_of(safari).family, browser_of(safari).os_family) == ("Mobile Safari", "iOS")
    assert browser_of("curl/8.5.0").family == "curl"
    assert browser_of(None) == browser_of("") == browser_of("???")


@pytest.mark.promise("P4")
async def test_liked_posts_are_the_users_own_newest_like_first(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    ann, bob = await users.create("Ann"), await users.create("Bob")
    first, second = await published_post(ann, "First"), await published_post(ann, "Second")
    for post in (first, second):
        await graphql.data(LIKE, {"input": {"postId": post_id(post)}}, token=bob.token)
    liked = (await graphql.data(LIKED, token=bob.token))["me"]["likedPosts"]
    assert [edge["node"]["title"] for edge in liked["edges"]] == ["Second", "First"]
    assert liked["totalCount"] == 2
    await graphql.data(UNLIKE, {"input": {"postId": post_id(second)}}, token=bob.token)
    liked = (await graphql.data(LIKED, token=bob.token))["me"]["likedPosts"]
    assert [edge["node"]["title"] for edge in liked["edges"]] == ["First"]
    assert (await graphql.data(LIKED, token=ann.token))["me"]["likedPosts"]["totalCount"] == 0


async def _grant(graphql: GraphQLClient, who: SignedIn, granted: bool) -> None:
    chosen = {"input": {"purpose": "ANALYTICS", "granted": granted}}
    await graphql.data(SET_CONSENT, chosen, token=who.token)


async def _view(graphql: GraphQLClient, who: SignedIn, post: Post) -> None:
    report = {"input": {"kind": "POST_VIEW", "postId": post_id(post)}}
    assert (await graphql.data(RECORD, report, token=who.token))["recordInteraction"] == {
        "errors": []
    }


def consent_required(body: dict[str, Any], feature: str) -> bool:
    return [error["extensions"] for error in body.get("errors", [])] == [
        {"code": "CONSENT_REQUIRED", "purpose": "ANALYTICS", "feature": feature}
    ]


@pytest.mark.promise("P7")
async def test_view_history_needs_analytics_and_lists_each_post_once_latest_first(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    ann, bob = await users.create("Ann"), await users.create("Bob")
    indexes, joins = await published_post(ann, "Indexes"), await published_post(ann, "Joins")
    refused = await graphql(HISTORY, token=bob.token)
    assert consent_required(refused, "VIEW_HISTORY")
    assert refused["data"] == {"me": {"viewHistory": None}}

    await _grant(graphql, bob, True)
    for post in (indexes, joins, indexes):
        await _view(graphql, bob, post)
    history = (await graphql.data(HISTORY, token=bob.token))["me"]["viewHistory"]
    assert [edge["node"]["title"] for edge in history["edges"]] == ["Indexes", "Joins"]
    assert history["totalCount"] == 2
    page = (await graphql.data(HISTORY, {"first": 1}, token=bob.token))["me"]["viewHistory"]
    assert [edge["node"]["title"] for edge in page["edges"]] == ["Indexes"]
    assert page["pageInfo"]["hasNextPage"] is True

    await _grant(graphql, bob, False)
    assert consent_required(await graphql(HISTORY, token=bob.token), "VIEW_HISTORY")


async def _mentor(users: UserFactory, name: str, expertise: list[str]) -> SignedIn:
    who = await users.create(name)
    await MentorProfile.create(user=who.user, headline=name, expertise=expertise)
    await MentorTag.bulk_create(
        [MentorTag(mentor=who.user, kind=MentorTagKind.EXPERTISE, value=tag) for tag in expertise]
    )
    return who


def _names(body: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in body["data"]["recommendedMentors"]["edges"]]


@pytest.mark.promise("P7")
async def test_recommendations_come_from_what_was_viewed_and_stop_with_the_consent(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory
) -> None:
    """The author of viewed posts first (two views), then a mentor whose expertise matches
    their tags; never an unrelated mentor, nor the viewer, nor a deactivated mentor."""
    author = await _mentor(users, "Ann Author", ["python"])
    await _mentor(users, "Max Match", ["sql"])
    await _mentor(users, "Una Unrelated", ["go"])
    gone = await _mentor(users, "Gus Gone", ["sql"])
    gone.user.is_active = False
    await gone.user.save()
    viewer = await _mentor(users, "Vic Viewer", ["sql"])
    post = await published_post(author, "Tuning queries", tags=["sql"])

    browser = Browser(http)
    assert consent_required(await browser(RECOMMENDED), "RECOMMENDATIONS")
    await browser.consent(True)
    for _ in range(2):
        await browser.record(kind="POST_VIEW", postId=post_id(post))
    assert _names(await browser(RECOMMENDED)) == ["Ann Author", "Max Match", "Vic Viewer"]

    await _grant(graphql, viewer, True)
    for _ in range(2):
        await _view(graphql, viewer, post)
    asked = await graphql(RECOMMENDED, {"first": 1}, token=viewer.token)
    assert _names(asked) == ["Ann Author"]
    assert asked["data"]["recommendedMentors"]["totalCount"] == 2
    assert _names(await graphql(RECOMMENDED, token=viewer.token)) == ["Ann Author", "Max Match"]

    await _grant(graphql, viewer, False)
    assert consent_required(await graphql(RECOMMENDED, token=viewer.token), "RECOMMENDATIONS")
    assert consent_required(await graphql(HISTORY, token=viewer.token), "VIEW_HISTORY")


@pytest.mark.promise("P4")
@pytest.mark.promise("P5")
def test_interactions_are_their_owners_alone_and_erased_with_them() -> None:
    privacy = REGISTRY[Interaction]
    assert privacy.owner == "user_id"
    categories = {rule.category for rule in privacy.personal.values()}
    assert categories == {Category.BEHAVIOUR, Category.DEVICE_NETWORK}
    for name, rule in privacy.personal.items():
        assert (rule.erasure, rule.staff_permission) == (Erasure.DELETE, None), name

"""Interaction and browser data: what the platform notes of a visit, and what it gives back.

Policy: "interactions on the platform are collected: pages viewed, posts liked" (P4), "browser
data: IP, browser type, pages, time and date of visit, time spent" (P5), for "data analytics"
(P17). A record is written only with the caller's ANALYTICS consent; without it the call
succeeds and nothing is kept. The address is kept as its network (/24, /48) and the browser
as its family and operating system, parsed by ua-parser: never the raw address or User-Agent.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from tortoise.expressions import Subquery
from tortoise.functions import Count, Max
from tortoise.queryset import QuerySet

from core import clock, limits
from core.errors import BadUserInput, RateLimited
from core.runtime import Budget, Runtime, ThrottleUnavailable
from models.interactions import Interaction, InteractionKind
from models.marketplace import MentorProfile, MentorTag, MentorTagKind, Post, PostLike, PostTag
from models.privacy import ConsentPurpose
from services.access.decisions import Access
from services.client import ClientInfo, browser_of
from services.keyset import Ordering, SortKey
from services.privacy import consents
from services.privacy.consents import Subject
from services.privacy.features import Feature, require

logger = logging.getLogger("mentor_api.interactions")
K = InteractionKind
# What each kind must carry; only time on a page carries a duration.
REQUIRED: dict[InteractionKind, frozenset[str]] = {
    K.PAGE_VIEW: frozenset({"path"}),
    K.POST_VIEW: frozenset({"post_id"}),
    K.TIME_ON_PAGE: frozenset({"path", "duration_ms"}),
}
FIELD_NAMES = {"path": "path", "post_id": "postId", "duration_ms": "durationMs"}


@dataclass(frozen=True)
class Report:
    """What a client reports of a visit."""

    kind: InteractionKind
    path: str | None = None
    post_id: int | None = None
    duration_ms: int | None = None


def _checked_path(path: str | None) -> str | None:
    """A path of our site, without its query or fragment (which may carry tokens)."""
    if path is None:
        return None
    if len(path) > limits.MAX_INTERACTION_PATH_LENGTH:
        raise BadUserInput(
            f"A path has at most {limits.MAX_INTERACTION_PATH_LENGTH} characters.", field="path"
        )
    if not path.startswith("/"):
        raise BadUserInput("Send the page's path, starting with /.", field="path")
    return path.split("#", 1)[0].split("?", 1)[0]


async def _checked(access: Access, report: Report) -> Report:
    for name in sorted(REQUIRED[report.kind]):
        if getattr(report, name) is None:
            raise BadUserInput(
                f"{report.kind.value} needs {FIELD_NAMES[name]}.", field=FIELD_NAMES[name]
            )
    duration = report.duration_ms
    if duration is not None:
        if report.kind is not K.TIME_ON_PAGE:
            raise BadUserInput("Only TIME_ON_PAGE carries a duration.", field="durationMs")
        if not 0 <= duration <= limits.MAX_TIME_ON_PAGE_MS:
            raise BadUserInput(
                f"A duration is 0 to {limits.MAX_TIME_ON_PAGE_MS} milliseconds.",
                field="durationMs",
            )
    if (
        report.post_id is not None
        and not await access.visible(Post).filter(id=report.post_id).exists()
    ):
        raise BadUserInput("No such post.", field="postId")
    return Report(report.kind, _checked_path(report.path), report.post_id, duration)


async def _take_budget(runtime: Runtime, subject: Subject | None, client: ClientInfo) -> None:
    """Anyone may call this: each account or visitor has a budget, and callers without a
    visitor cookie share their network's."""
    settings = runtime.settings
    if subject is None:
        key, limit = f"interaction:ip:{client.ip_prefix or 'unknown'}", settings.interactions_per_ip
    elif subject.user_id is not None:
        key, limit = f"interaction:user:{subject.user_id}", settings.interactions_per_visitor
    else:
        key, limit = f"interaction:visitor:{subject.visitor_id}", settings.interactions_per_visitor
    try:
        wait = await runtime.throttle.take(key, Budget(limit, settings.throttle_window))
    except ThrottleUnavailable:
        # A flood guard, not an account's: with Redis away, interactions are still recorded.
        logger.warning("interaction throttle unavailable; recording anyway")
        return
    if wait:
        raise RateLimited(wait)


async def record(
    runtime: Runtime, access: Access, subject: Subject | None, client: ClientInfo, report: Report
) -> None:
    """Keep one interaction, if the caller granted ANALYTICS; check it all the same, so a
    client gets the same answer whatever its consent."""
    await _take_budget(runtime, subject, client)
    checked = await _checked(access, report)
    if subject is None or not await consents.allows(
        subject, ConsentPurpose.ANALYTICS, gpc=client.gpc
    ):
        return
    browser = browser_of(client.user_agent)
    now = clock.now()
    await Interaction.create(
        user_id=subject.user_id,
        visitor_id=subject.visitor_id,
        kind=checked.kind,
        path=checked.path,
        post_id=checked.post_id,
        duration_ms=checked.duration_ms,
        occurred_at=now,
        day=now.date(),
        ip_prefix=client.ip_prefix,
        browser_family=browser.family,
        os_family=browser.os_family,
    )


def _interactions_of(subject: Subject) -> QuerySet[Interaction]:
    if subject.user_id is not None:
        return Interaction.filter(user_id=subject.user_id)
    return Interaction.filter(visitor_id=subject.visitor_id)


def liked_posts(access: Access, user_id: int) -> QuerySet[Post]:
    """The posts a user likes, newest like first. Their likes are read through PostLike's row
    rule (their own); the join only orders them, by the time of the like (one per post) that
    pages go on from."""
    likes = access.visible(PostLike).filter(user_id=user_id).values("post_id")
    return (
        access.visible(Post)
        .filter(id__in=Subquery(likes), likes__user_id=user_id)
        .annotate(liked_at=Max("likes__created_at"))
        .group_by("id")
        .order_by("-liked_at", "-id")
    )


async def view_history(access: Access, user_id: int, *, gpc: bool) -> QuerySet[Post]:
    """The posts a user viewed, most recently viewed first (VIEW_HISTORY needs ANALYTICS).
    Their views are read through Interaction's row rule; the join only orders them."""
    await require(Subject(user_id=user_id), Feature.VIEW_HISTORY, gpc=gpc)
    views = access.visible(Interaction).filter(user_id=user_id, kind=K.POST_VIEW)
    return (
        access.visible(Post)
        .filter(
            id__in=Subquery(views.values("post_id")),
            interactions__user_id=user_id,
            interactions__kind=K.POST_VIEW,
        )
        .annotate(last_viewed_at=Max("interactions__occurred_at"))
        .group_by("id")
        .order_by("-last_viewed_at", "-id")
    )


class Recommendation(NamedTuple):
    """A mentor recommended to the caller (their user's id), and how strongly."""

    user_id: int
    score: int


# Best first, ties by the mentor's user id (unique): the order recommendations page in.
# The score is counted in Python across views, posts and tags, so SQL cannot keyset on it;
# a page goes on after the (score, mentor) it ended on instead (``page_of_sorted``). Mentors
# newly ranked above that point push none already seen onto the next page; one whose score
# changes between pages may cross it, as any ranking by live scores allows.
RECOMMENDATION_ORDER = Ordering(
    "recommended_mentors",
    (SortKey("score", descending=True, nullable=False), SortKey("user_id", False, False)),
    nulls_high=False,
)


async def recommended_mentors(
    access: Access, subject: Subject | None, *, gpc: bool
) -> list[Recommendation]:
    """Mentors (their users' ids, best first) whose posts the caller viewed, or whose
    expertise matches the tags of posts they viewed: each view of one of a mentor's posts and
    each matching tag counts one. Visible mentors only, never the caller; RECOMMENDATIONS
    needs ANALYTICS."""
    subject = await require(subject, Feature.RECOMMENDATIONS, gpc=gpc)
    views_per_post = dict(
        await _interactions_of(subject)
        .filter(kind=K.POST_VIEW, post_id__isnull=False)
        .annotate(views=Count("id"))
        .group_by("post_id")
        .values_list("post_id", "views")
    )
    authors = (
        await access.visible(Post)
        .filter(id__in=list(views_per_post))
        .values_list("id", "author_id")
    )
    score: Counter[int] = Counter()
    for post_id, author_id in authors:
        score[author_id] += views_per_post[post_id]
    tags = PostTag.filter(post_id__in=[post_id for post_id, _ in authors]).values("value")
    matching = MentorTag.filter(kind=MentorTagKind.EXPERTISE, value__in=Subquery(tags))
    score.update(mentor_id for (mentor_id,) in await matching.values_list("mentor_id"))
    if subject.user_id is not None:
        score.pop(subject.user_id, None)
    shown = access.visible(MentorProfile).filter(user_id__in=list(score))
    ranked = [user_id for (user_id,) in await shown.values_list("user_id")]
    best_first = sorted(ranked, key=lambda user_id: (-score[user_id], user_id))
    return [Recommendation(user_id, score[user_id]) for user_id in best_first]


async def mentors_by_user(access: Access, user_ids: Sequence[int]) -> list[MentorProfile]:
    """Visible mentor profiles of ``user_ids``, in that order, each with its user."""
    found = {
        profile.user_id: profile
        for profile in await access.visible(MentorProfile)
        .filter(user_id__in=list(user_ids))
        .select_related("user")
    }
    return [found[user_id] for user_id in user_ids if user_id in found]

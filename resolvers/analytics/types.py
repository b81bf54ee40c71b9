"""Staff analytics as counts (P12). Each figure is its own field, read only when asked."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from core import limits
from models.marketplace import Post
from resolvers.context import Info
from resolvers.jobs.types import JobStatusEnum
from resolvers.nodes import visible_row
from resolvers.pagination import checked_page
from resolvers.posts.types import PostType
from services import analytics
from services.analytics import DateRange

TOP = 10
Top = Annotated[
    int,
    strawberry.argument(
        description=f"How many, most viewed first; at most {limits.MAX_PAGE_SIZE}."
    ),
]


@strawberry.input(description="Whole UTC days, both ends included; at most 366 of them.")
class AnalyticsRange:
    from_: date = strawberry.field(name="from", description="The first day.")
    to: date = strawberry.field(description="The last day.")


@strawberry.type(description="Views on one day.")
class DailyViews:
    day: date = strawberry.field(description="The UTC day.")
    page_views: int = strawberry.field(description="Pages of the web client opened that day.")
    post_views: int = strawberry.field(description="Posts opened that day.")


@strawberry.type(description="How often one post was viewed.")
class PostViews:
    post_id: strawberry.Private[int]
    views: int = strawberry.field(description="Times it was opened in the range.")

    @strawberry.field(description="The post; null once it is gone or not shown to you.")
    async def post(self, info: Info) -> PostType | None:
        return await visible_row(info, Post, self.post_id)  # type: ignore[return-value]


@strawberry.type(description="How often one page was viewed; ids in its path read :id.")
class PageViews:
    path: str = strawberry.field(description="The page's path, e.g. /mentors/:id.")
    views: int = strawberry.field(description="Times it was opened in the range.")


@strawberry.type(description="Views from one browser family.")
class BrowserViews:
    family: str | None = strawberry.field(description="e.g. Chrome; null when not recognised.")
    views: int = strawberry.field(description="Pages and posts opened with it in the range.")


@strawberry.type(description="Accounts created on one day.")
class DailySignUps:
    day: date = strawberry.field(description="The UTC day.")
    sign_ups: int = strawberry.field(description="Accounts created that day.")


@strawberry.type(description="Jobs requested in the range that are now in one status.")
class JobStatusCount:
    status: JobStatusEnum = strawberry.field(  # type: ignore[valid-type]
        description="The status they are in now."
    )
    jobs: int = strawberry.field(description="How many jobs.")


def _top(first: int) -> int:
    checked_page(first, None, None)
    return first


@strawberry.type(
    description=(
        "How the platform is used, as counts that name nobody: from the daily counts and "
        "the interactions not rolled up yet."
    )
)
class Analytics:
    span: strawberry.Private[DateRange]

    @strawberry.field(name="from", description="The first day.")
    def from_(self) -> date:
        return self.span.first

    @strawberry.field(description="The last day.")
    def to(self) -> date:
        return self.span.last

    @strawberry.field(description="Page and post views of every day of the range.")
    async def views_per_day(self, info: Info) -> list[DailyViews]:
        found = await analytics.views_per_day(info.context.access, self.span)
        return [
            DailyViews(day=v.day, page_views=v.page_views, post_views=v.post_views) for v in found
        ]

    @strawberry.field(description="The most viewed posts, most viewed first.")
    async def top_posts(self, info: Info, first: Top = TOP) -> list[PostViews]:
        found = await analytics.top_posts(info.context.access, self.span, _top(first))
        return [PostViews(post_id=post_id, views=views) for post_id, views in found]

    @strawberry.field(description="The most viewed pages, most viewed first.")
    async def top_pages(self, info: Info, first: Top = TOP) -> list[PageViews]:
        found = await analytics.top_pages(info.context.access, self.span, _top(first))
        return [PageViews(path=path, views=views) for path, views in found]

    @strawberry.field(description="Views per browser family, most used first.")
    async def browsers(self, info: Info) -> list[BrowserViews]:
        found = await analytics.browsers(info.context.access, self.span)
        return [BrowserViews(family=family, views=views) for family, views in found]

    @strawberry.field(description="Accounts created on every day of the range.")
    async def sign_ups_per_day(self) -> list[DailySignUps]:
        found = await analytics.sign_ups_per_day(self.span)
        return [DailySignUps(day=day, sign_ups=count) for day, count in found]

    @strawberry.field(description="Jobs requested in the range, by the status they are in now.")
    async def jobs_per_status(self) -> list[JobStatusCount]:
        found = await analytics.jobs_per_status(self.span)
        return [JobStatusCount(status=status, jobs=count) for status, count in found]

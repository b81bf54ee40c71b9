"""A page of mentors with nested lists costs a fixed number of SQL statements, whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from models.accounts import User
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    MentorProfile,
    Post,
    PostStatus,
    Testimonial,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.statements import StatementCounter, counting_statements

# The page bench/page_query.py measures: mentors with their nested lists.
PAGE = """
query Page($first: Int!) {
  mentors(first: $first) { edges { node { name headline expertise
    hourlyRate { amountCents currency } rating
    testimonials(first: 3) { edges { node { rating text authorName } } }
    posts(first: 3) { edges { node { title likeCount } } } } } }
}
"""
# The page (mentors joined with their users), ratings, testimonials, posts, and the accounts
# of the testimonials' authors (the display rule reads whether they are active, and they name
# them): one statement each, for 5 mentors or 50. The mentors' accounts, which the rules of
# both lists read too, came with the page.
STATEMENTS_PER_PAGE = 5


@pytest.fixture
def sql() -> Iterator[StatementCounter]:
    with counting_statements() as counter:
        yield counter


async def _seed(mentors: int) -> None:
    """Each mentor: 4 posts, 4 displayed testimonials from different clients, one private."""
    for index in range(mentors):
        mentor = await User.create(email=f"mentor{index}@example.com", name=f"Mentor {index}")
        await MentorProfile.create(
            user=mentor, headline=f"Headline {index}", expertise=["python"], hourly_rate_cents=5000
        )
        for number in range(4):
            await Post.create(
                author=mentor, title=f"Post {number}", body="b", status=PostStatus.PUBLISHED
            )
        for number in range(5):
            client = await User.create(email=f"c{index}-{number}@example.com", name="Kim Lee")
            job = await Job.create(
                client=client, mentor=mentor, description="d", status=JobStatus.COMPLETED
            )
            await Testimonial.create(
                job=job,
                author=client,
                mentor=mentor,
                rating=4 + number % 2,
                text="t",
                profile_attribution=Attribution.INITIALS if number < 4 else None,
            )


async def test_a_page_of_mentors_costs_the_same_statements_for_5_or_50(
    graphql: GraphQLClient, sql: StatementCounter
) -> None:
    await _seed(50)
    counts = {}
    for first in (5, 50):
        sql.statements.clear()
        data = await graphql.data(PAGE, {"first": first})
        edges = data["mentors"]["edges"]
        assert len(edges) == first
        node = edges[0]["node"]
        assert (len(node["testimonials"]["edges"]), len(node["posts"]["edges"])) == (3, 3)
        assert node["testimonials"]["edges"][0]["node"]["authorName"] == "Kim L."
        assert node["rating"] == 4.5  # (4 + 5 + 4 + 5) / 4: the private fifth does not count
        counts[first] = len(sql.statements)
    assert counts == {5: STATEMENTS_PER_PAGE, 50: STATEMENTS_PER_PAGE}, sql.statements


async def test_the_directory_page_the_web_client_sends_adds_only_its_count(
    graphql: GraphQLClient, sql: StatementCounter
) -> None:
    await _seed(50)
    counts = {}
    for first in (5, 50):
        sql.statements.clear()
        data = await graphql.data(document("Mentors"), {"first": first})
        assert (len(data["mentors"]["edges"]), data["mentors"]["totalCount"]) == (first, 50)
        counts[first] = len(sql.statements)
    # totalCount is one COUNT more than the page above.
    assert counts == {5: STATEMENTS_PER_PAGE + 1, 50: STATEMENTS_PER_PAGE + 1}, sql.statements


async def test_the_posts_page_reads_its_authors_in_one_statement_for_5_or_50(
    graphql: GraphQLClient, sql: StatementCounter
) -> None:
    """The page, its count, and every post's author (a mentor profile with its account)."""
    await _seed(50)
    counts = {}
    for first in (5, 50):
        sql.statements.clear()
        data = await graphql.data(document("Posts"), {"first": first})
        edges = data["posts"]["edges"]
        assert len(edges) == first
        assert all(edge["node"]["author"]["name"].startswith("Mentor ") for edge in edges)
        counts[first] = len(sql.statements)
    assert counts == {5: 3, 50: 3}, sql.statements


async def test_the_success_stories_read_their_mentors_in_one_statement_for_5_or_50(
    graphql: GraphQLClient, sql: StatementCounter
) -> None:
    """The page (with the authors' and mentors' accounts its rule reads), and the mentors."""
    await _seed(50)
    await Testimonial.filter(profile_attribution__isnull=False).update(
        featured_at=datetime.now(UTC), marketing_attribution=Attribution.FULL_NAME
    )
    counts = {}
    for first in (5, 50):
        sql.statements.clear()
        data = await graphql.data(document("FeaturedTestimonials"), {"first": first})
        edges = data["featuredTestimonials"]["edges"]
        assert len(edges) == first
        assert all(edge["node"]["mentor"]["name"].startswith("Mentor ") for edge in edges)
        assert {edge["node"]["authorName"] for edge in edges} == {"Kim Lee"}
        counts[first] = len(sql.statements)
    assert counts == {5: 2, 50: 2}, sql.statements


FRAGMENTS_AND_ALIASES = """
query Page($first: Int!, $nested: Int!) {
  mentors(first: $first) { edges { node { ...Card } } }
}
fragment Card on Mentor {
  name
  score: rating
  reviews: testimonials(first: $nested) { edges { node { rating text authorName } } }
  ... on Mentor { posts(first: 3) { edges { node { title likeCount } } } }
}
"""


async def test_fragments_aliases_and_variables_cost_the_same_statements(
    graphql: GraphQLClient, sql: StatementCounter
) -> None:
    await _seed(4)
    sql.statements.clear()
    data = await graphql.data(FRAGMENTS_AND_ALIASES, {"first": 4, "nested": 3})
    node = data["mentors"]["edges"][0]["node"]
    assert node["score"] == 4.5
    assert [e["node"]["authorName"] for e in node["reviews"]["edges"]] == ["Kim L."] * 3
    assert len(node["posts"]["edges"]) == 3
    assert len(sql.statements) == STATEMENTS_PER_PAGE, sql.statements


async def test_a_nested_page_above_100_is_refused_on_its_own_field(graphql: GraphQLClient) -> None:
    await _seed(1)
    body = await graphql(
        "{ mentors(first: 1) { edges { node { name posts(first: 101) { edges { cursor } } } } } }"
    )
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("BAD_USER_INPUT", ["mentors", "edges", 0, "node", "posts"])
    ]

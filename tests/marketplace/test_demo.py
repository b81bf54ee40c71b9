"""`mentor-api seed-demo`: a small marketplace a newcomer can browse, in every consent state."""

from __future__ import annotations

from app.demo import seed_demo
from core.runtime import Runtime
from models.marketplace import Attribution, Testimonial, TestimonialPermissionEvent
from tests.support.graphql import GraphQLClient

PAGE = """
{ mentors(first: 100) { totalCount edges { node { name expertise
    testimonials(first: 10) { edges { node { authorName } } } } } } }
"""


async def test_the_demo_fills_an_empty_database_once(
    graphql: GraphQLClient, runtime: Runtime
) -> None:
    summary = await seed_demo(runtime.passwords, mentor_count=8, client_count=6)
    assert (summary.mentors, summary.clients, summary.already_seeded) == (8, 6, False)
    assert summary.posts > 0 and summary.jobs >= summary.testimonials >= 7

    rows = await Testimonial.all()
    assert any(row.profile_attribution is None and row.hidden_at is None for row in rows)
    assert {row.profile_attribution for row in rows} >= set(Attribution)
    assert any(row.featured_at is not None for row in rows)
    assert any(row.hidden_at is not None for row in rows)
    assert await TestimonialPermissionEvent.filter(change="REVOKED").exists()

    page = (await graphql.data(PAGE))["mentors"]
    # and the README walkthrough's mentor, who has no jobs yet
    assert page["totalCount"] == 8 + 1
    assert "Demo Mentor" in [edge["node"]["name"] for edge in page["edges"]]
    assert all(edge["node"]["name"] and edge["node"]["expertise"] for edge in page["edges"])
    shown = [
        t["node"]["authorName"] for e in page["edges"] for t in e["node"]["testimonials"]["edges"]
    ]
    displayed = [row for row in rows if row.profile_attribution and row.hidden_at is None]
    assert len(shown) == len(displayed) and "Anonymous" in shown

    again = await seed_demo(runtime.passwords, mentor_count=8, client_count=6)
    assert again.already_seeded
    assert await Testimonial.all().count() == len(rows)

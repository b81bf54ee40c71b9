"""Testimonials are displayed only after receiving permission (P14)."""

from __future__ import annotations

from typing import Any

import pytest

from models.accounts import StaffPermission
from models.marketplace import TestimonialPermissionEvent
from tests.marketplace.helpers import (
    WRITE_TESTIMONIAL,
    become_mentor,
    completed_job,
    request_job,
    row_id,
    write_testimonial,
)
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P14")

# A mentor's two public testimonial lists in one read, with the author link no reader may get.
LISTED = """
query Listed($mentorId: ID!) {
  testimonials(mentorId: $mentorId) {
    totalCount
    edges { node { rating text authorName author { id } } }
  }
  mentor(id: $mentorId) { rating testimonials(first: 3) { edges { node { authorName } } } }
}
"""
GRANT = document("GrantTestimonialPermission")
REVOKE = document("RevokeTestimonialPermission")
FEATURE = document("FeatureTestimonial")
HIDE = document("HideTestimonial")
FEATURED = document("FeaturedTestimonials")
NODE = """
query Node($id: ID!) {
  node(id: $id) { ... on Testimonial { text authorName author { id } permissionHistory { scope } } }
}
"""


class Market:
    """A mentor with one completed job whose client wrote a testimonial."""

    def __init__(self, mentor: SignedIn, mentor_id: str, client: SignedIn, testimonial: str):
        self.mentor, self.mentor_id = mentor, mentor_id
        self.client, self.testimonial = client, testimonial


@pytest.fixture
async def market(graphql: GraphQLClient, users: UserFactory) -> Market:
    mentor = await users.create("Mia Mentor")
    mentor_id = await become_mentor(graphql, mentor)
    client = await users.create("Carla Jones", email="carla@example.com")
    job_id = await completed_job(graphql, client, mentor, mentor_id)
    testimonial = await write_testimonial(graphql, client, job_id, 4, "Clear and patient.")
    return Market(mentor, mentor_id, client, testimonial)


async def _listed(graphql: GraphQLClient, market: Market, token: str | None = None) -> Any:
    return await graphql.data(LISTED, {"mentorId": market.mentor_id}, token=token)


async def _grant(
    graphql: GraphQLClient, market: Market, scope: str, attribution: str, who: SignedIn
) -> Any:
    variables = {
        "input": {"testimonialId": market.testimonial, "scope": scope, "attribution": attribution}
    }
    return await graphql(GRANT, variables, token=who.token)


NOTHING_LISTED = {
    "testimonials": {"totalCount": 0, "edges": []},
    "mentor": {"rating": None, "testimonials": {"edges": []}},
}


async def test_a_new_testimonial_is_private_to_author_mentor_and_moderators(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    stranger = await users.create("Stranger")
    moderator = await users.create("Mod", staff=[StaffPermission.MODERATE_CONTENT])
    for token in (None, stranger.token, market.mentor.token, market.client.token):
        assert await _listed(graphql, market, token) == NOTHING_LISTED
    for token in (None, stranger.token):
        assert await graphql.data(NODE, {"id": market.testimonial}, token=token) == {"node": None}
    for who in (market.client, market.mentor, moderator):
        seen = await graphql.data(NODE, {"id": market.testimonial}, token=who.token)
        assert seen["node"]["text"] == "Clear and patient."


async def test_a_private_testimonial_names_its_author_only_to_who_may_read_the_name(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    moderator = await users.create("Mod", staff=[StaffPermission.MODERATE_CONTENT])
    pii_staff = await users.create("Pia", staff=[StaffPermission.VIEW_PII])
    names = {}
    for label, who in (
        ("author", market.client),
        ("mentor", market.mentor),
        ("moderator", moderator),
        ("pii staff", pii_staff),
    ):
        seen = await graphql.data(NODE, {"id": market.testimonial}, token=who.token)
        names[label] = seen["node"]["authorName"] if seen["node"] else None
    assert names == {
        "author": "Carla Jones",
        "mentor": "Carla Jones",
        "moderator": "Anonymous",
        "pii staff": None,  # not a reader of private testimonials at all
    }


async def test_the_journey_grant_with_initials_then_revoke(
    graphql: GraphQLClient, market: Market
) -> None:
    granted = await _grant(graphql, market, "PROFILE", "INITIALS", market.client)
    assert granted["data"]["grantTestimonialPermission"] == {
        "testimonial": {
            "id": market.testimonial,
            "profileAttribution": "INITIALS",
            "marketingAttribution": None,
        },
        "errors": [],
    }
    assert await _listed(graphql, market) == {
        "testimonials": {
            "totalCount": 1,
            "edges": [
                {
                    "node": {
                        "rating": 4,
                        "text": "Clear and patient.",
                        "authorName": "Carla J.",
                        "author": None,
                    }
                }
            ],
        },
        "mentor": {
            "rating": 4.0,
            "testimonials": {"edges": [{"node": {"authorName": "Carla J."}}]},
        },
    }
    revoked = await graphql.data(
        REVOKE,
        {"input": {"testimonialId": market.testimonial, "scope": "PROFILE"}},
        token=market.client.token,
    )
    assert revoked["revokeTestimonialPermission"] == {
        "testimonial": {
            "id": market.testimonial,
            "profileAttribution": None,
            "marketingAttribution": None,
        },
        "errors": [],
    }
    assert await _listed(graphql, market) == NOTHING_LISTED


async def test_an_anonymous_testimonial_carries_no_link_to_its_author(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    await _grant(graphql, market, "PROFILE", "ANONYMOUS", market.client)
    stranger = await users.create("Stranger")
    for token in (None, stranger.token, market.mentor.token):
        listed = await _listed(graphql, market, token)
        assert listed["testimonials"]["edges"] == [
            {
                "node": {
                    "rating": 4,
                    "text": "Clear and patient.",
                    "authorName": "Anonymous",
                    "author": None,
                }
            }
        ]
        node = await graphql.data(NODE, {"id": market.testimonial}, token=token)
        assert node["node"] == {
            "text": "Clear and patient.",
            "authorName": "Anonymous",
            "author": None,
            "permissionHistory": None,
        }
    full_name = await _grant(graphql, market, "PROFILE", "FULL_NAME", market.client)
    assert full_name["data"]["grantTestimonialPermission"]["errors"] == []
    listed = await _listed(graphql, market, stranger.token)
    assert listed["testimonials"]["edges"][0]["node"]["authorName"] == "Carla Jones"


async def test_only_the_author_grants_and_every_change_is_kept_with_its_time(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    by_mentor = await _grant(graphql, market, "PROFILE", "FULL_NAME", market.mentor)
    assert error_codes(by_mentor) == ["FORBIDDEN"]
    stranger = await users.create("Stranger")
    by_stranger = await _grant(graphql, market, "PROFILE", "FULL_NAME", stranger)
    assert by_stranger["data"]["grantTestimonialPermission"]["errors"] == [
        {"field": "testimonialId", "code": "NOT_FOUND", "message": "No such testimonial."}
    ]
    await _grant(graphql, market, "PROFILE", "FULL_NAME", market.client)
    await _grant(graphql, market, "MARKETING", "ANONYMOUS", market.client)
    await graphql.data(
        REVOKE,
        {"input": {"testimonialId": market.testimonial, "scope": "PROFILE"}},
        token=market.client.token,
    )
    events = await TestimonialPermissionEvent.filter(
        testimonial_id=row_id(market.testimonial)
    ).order_by("id")
    assert [(e.scope, e.change, e.attribution, e.author_id) for e in events] == [
        ("PROFILE", "GRANTED", "FULL_NAME", market.client.user.id),
        ("MARKETING", "GRANTED", "ANONYMOUS", market.client.user.id),
        ("PROFILE", "REVOKED", None, market.client.user.id),
    ]
    assert all(e.created_at is not None for e in events)
    assert events[0].created_at <= events[1].created_at <= events[2].created_at
    history = await graphql.data(NODE, {"id": market.testimonial}, token=market.client.token)
    assert history["node"]["permissionHistory"] == [
        {"scope": "PROFILE"},
        {"scope": "MARKETING"},
        {"scope": "PROFILE"},
    ]


async def test_featuring_needs_the_marketing_permission_and_uses_its_attribution(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    moderator = await users.create("Mod", staff=[StaffPermission.MODERATE_CONTENT])
    feature = {"input": {"testimonialId": market.testimonial}}
    await _grant(graphql, market, "PROFILE", "FULL_NAME", market.client)
    refused = await graphql.data(FEATURE, feature, token=moderator.token)
    assert refused["featureTestimonial"]["errors"] == [
        {
            "field": "testimonialId",
            "code": "CONFLICT",
            "message": "The author has not granted the MARKETING permission.",
        }
    ]
    not_staff = await graphql(FEATURE, feature, token=market.mentor.token)
    assert error_codes(not_staff) == ["FORBIDDEN"]
    await _grant(graphql, market, "MARKETING", "INITIALS", market.client)
    featured = await graphql.data(FEATURE, feature, token=moderator.token)
    assert featured["featureTestimonial"] == {
        "testimonial": {"id": market.testimonial, "featured": True},
        "errors": [],
    }
    stories = (await graphql.data(FEATURED))["featuredTestimonials"]["edges"]
    assert [(story["node"]["text"], story["node"]["authorName"]) for story in stories] == [
        ("Clear and patient.", "Carla J.")
    ]
    await graphql.data(
        REVOKE,
        {"input": {"testimonialId": market.testimonial, "scope": "MARKETING"}},
        token=market.client.token,
    )
    assert await graphql.data(FEATURED) == {"featuredTestimonials": {"edges": []}}


async def test_an_anonymous_success_story_does_not_lead_to_the_named_testimonial(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    moderator = await users.create("Mod", staff=[StaffPermission.MODERATE_CONTENT])
    await _grant(graphql, market, "PROFILE", "FULL_NAME", market.client)
    await _grant(graphql, market, "MARKETING", "ANONYMOUS", market.client)
    feature = {"input": {"testimonialId": market.testimonial}}
    await graphql.data(FEATURE, feature, token=moderator.token)

    stories = await graphql.data(FEATURED)
    story = stories["featuredTestimonials"]["edges"][0]["node"]
    assert story["authorName"] == "Anonymous"
    assert story["id"] != market.testimonial
    assert await graphql.data(NODE, {"id": story["id"]}) == {"node": None}
    again = await graphql.data(FEATURED)
    assert again["featuredTestimonials"]["edges"][0]["node"]["id"] == story["id"]


async def test_moderators_hide_a_testimonial_from_every_public_list(
    graphql: GraphQLClient, users: UserFactory, market: Market
) -> None:
    moderator = await users.create("Mod", staff=[StaffPermission.MODERATE_CONTENT])
    await _grant(graphql, market, "PROFILE", "FULL_NAME", market.client)
    hide = {"input": {"testimonialId": market.testimonial}}
    assert error_codes(await graphql(HIDE, hide, token=market.client.token)) == ["FORBIDDEN"]
    hidden = await graphql.data(HIDE, hide, token=moderator.token)
    assert hidden["hideTestimonial"] == {
        "testimonial": {"id": market.testimonial, "hidden": True},
        "errors": [],
    }
    assert await _listed(graphql, market) == NOTHING_LISTED
    shown = {"input": {"testimonialId": market.testimonial, "hidden": False}}
    await graphql.data(HIDE, shown, token=moderator.token)
    assert (await _listed(graphql, market))["testimonials"]["totalCount"] == 1


async def test_only_the_client_of_a_completed_job_writes_one_testimonial(
    graphql: GraphQLClient, market: Market
) -> None:
    job_id = await request_job(graphql, market.client, market.mentor_id)

    async def write(who: SignedIn, job: str) -> Any:
        variables = {"input": {"jobId": job, "rating": 5, "text": "Again"}}
        return await graphql(WRITE_TESTIMONIAL, variables, token=who.token)

    early = await write(market.client, job_id)
    assert early["data"]["writeTestimonial"]["errors"] == [
        {
            "field": "jobId",
            "code": "CONFLICT",
            "message": "A testimonial needs a COMPLETED job; this one is REQUESTED.",
        }
    ]
    assert error_codes(await write(market.mentor, job_id)) == ["FORBIDDEN"]
    completed = await completed_job(graphql, market.client, market.mentor, market.mentor_id)
    first = await write(market.client, completed)
    assert first["data"]["writeTestimonial"]["errors"] == []
    second = await write(market.client, completed)
    assert second["data"]["writeTestimonial"]["errors"][0]["code"] == "CONFLICT"

"""Mentor profiles: public storefront (P3), search and filters, Relay pages with a size cap."""

from __future__ import annotations

import pytest
from strawberry.relay import to_base64

from resolvers.extensions import UNSTORABLE_MESSAGE
from tests.marketplace.helpers import BECOME_MENTOR, become_mentor
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import UserFactory

MENTOR = document("Mentor")
MENTORS = document("Mentors")


def eur(cents: int) -> dict[str, object]:
    return {"amountCents": cents, "currency": "EUR"}


def usd(cents: int) -> dict[str, object]:
    return {"amountCents": cents, "currency": "USD"}


UPDATE_MENTOR_PROFILE = document("UpdateMentorProfile")
# No client page asks a mentor's account for its address: this checks nobody gets it.
MENTORS_CONTACT = "query MentorsContact($id: ID!) { mentor(id: $id) { user { email name } } }"


@pytest.mark.promise("P3")
async def test_anyone_reads_a_mentors_expertise_languages_and_timezone_but_no_contact(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    ada = await users.create("Ada Lovelace", email="ada@example.com")
    mentor_id = await become_mentor(
        graphql,
        ada,
        headline="Analytical engines",
        bio="First programmer.",
        expertise=["Python ", "math", "python"],
        languages=["en", "fr"],
        timezone="Europe/London",
    )
    stranger = await users.create("Stranger")
    for token in (None, stranger.token):
        data = await graphql.data(MENTOR, {"id": mentor_id}, token=token)
        assert data["mentor"] == {
            "id": mentor_id,
            "name": "Ada Lovelace",
            "headline": "Analytical engines",
            "bio": "First programmer.",
            "expertise": ["python", "math"],
            "languages": ["en", "fr"],
            "timezone": "Europe/London",
            "hourlyRate": {"amountCents": 6000, "currency": "EUR"},
            "rating": None,
            "testimonials": {"totalCount": 0, "edges": []},
            "posts": {"totalCount": 0, "edges": []},
        }
        contact = await graphql.data(MENTORS_CONTACT, {"id": mentor_id}, token=token)
        assert contact["mentor"]["user"] == {"email": None, "name": "Ada Lovelace"}


@pytest.mark.promise("P3")
async def test_the_mentor_edits_the_profile_and_bad_input_changes_nothing(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    ada = await users.create("Ada")
    mentor_id = await become_mentor(graphql, ada)
    changed = await graphql.data(
        UPDATE_MENTOR_PROFILE,
        {"input": {"headline": "Rust too", "expertise": ["rust"]}},
        token=ada.token,
    )
    assert changed["updateMentorProfile"] == {
        "mentor": {
            "id": mentor_id,
            "headline": "Rust too",
            "bio": "",
            "expertise": ["rust"],
            "languages": ["en"],
            "timezone": "Europe/Paris",
            "hourlyRate": {"amountCents": 6000, "currency": "EUR"},
        },
        "errors": [],
    }
    refused = await graphql.data(
        UPDATE_MENTOR_PROFILE,
        {"input": {"headline": "x", "timezone": "Mars/Olympus", "expertise": ["go"]}},
        token=ada.token,
    )
    assert refused["updateMentorProfile"]["errors"] == [
        {
            "field": "timezone",
            "code": "BAD_USER_INPUT",
            "message": "Use an IANA time zone such as Europe/Paris.",
        }
    ]
    found = await graphql.data(MENTORS, {"filter": {"expertise": "rust"}})
    assert found["mentors"]["totalCount"] == 1
    assert (await graphql.data(MENTORS, {"filter": {"expertise": "go"}}))["mentors"][
        "totalCount"
    ] == 0


async def test_becoming_a_mentor_twice_is_a_conflict(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    ada = await users.create("Ada")
    await become_mentor(graphql, ada)
    again = await graphql.data(BECOME_MENTOR, {"input": {"headline": "x"}}, token=ada.token)
    assert again["becomeMentor"] == {
        "mentor": None,
        "errors": [
            {
                "field": None,
                "code": "CONFLICT",
                "message": "You are already a mentor; update your profile instead.",
            }
        ],
    }


async def test_updating_a_profile_you_do_not_have_is_a_conflict(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    client = await users.create("Client")
    body = await graphql.data(
        UPDATE_MENTOR_PROFILE, {"input": {"headline": "x"}}, token=client.token
    )
    assert body["updateMentorProfile"]["errors"][0]["code"] == "CONFLICT"


async def test_filters_combine_expertise_language_price_and_text(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    specs = [
        ("Grace Hopper", ["cobol", "compilers"], ["en"], 9000, "Compilers and ships"),
        ("Alan Turing", ["math", "python"], ["en"], 5000, "Machines that think"),
        ("Marie Curie", ["physics", "python"], ["fr", "pl"], 7000, "Radioactivity"),
    ]
    for name, expertise, languages, rate, headline in specs:
        mentor = await users.create(name)
        await become_mentor(
            graphql,
            mentor,
            expertise=expertise,
            languages=languages,
            headline=headline,
            hourlyRate={"amountCents": rate, "currency": "EUR"},
        )

    async def names(filter: dict[str, object], order: str = "HOURLY_RATE_ASC") -> list[str]:
        data = await graphql.data(MENTORS, {"filter": filter, "orderBy": order})
        return [edge["node"]["name"] for edge in data["mentors"]["edges"]]

    assert await names({}) == ["Alan Turing", "Marie Curie", "Grace Hopper"]
    assert await names({}, "HOURLY_RATE_DESC") == ["Grace Hopper", "Marie Curie", "Alan Turing"]
    assert await names({"expertise": "Python"}) == ["Alan Turing", "Marie Curie"]
    assert await names({"expertise": "python", "language": "fr"}) == ["Marie Curie"]
    assert await names({"minHourlyRate": eur(6000), "maxHourlyRate": eur(9000)}) == [
        "Marie Curie",
        "Grace Hopper",
    ]
    assert await names({"search": "think"}) == ["Alan Turing"]
    assert await names({"search": "hopper"}) == ["Grace Hopper"]


async def test_rate_bounds_match_only_mentors_charging_in_their_currency(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    for name, rate in (("Euro Mentor", eur(5000)), ("Dollar Mentor", usd(5000))):
        await become_mentor(graphql, await users.create(name), hourlyRate=rate)

    async def names(filter: dict[str, object]) -> list[str]:
        data = await graphql.data(MENTORS, {"filter": filter})
        return [edge["node"]["name"] for edge in data["mentors"]["edges"]]

    assert await names({"minHourlyRate": usd(4000)}) == ["Dollar Mentor"]
    assert await names({"maxHourlyRate": {"amountCents": 6000, "currency": "eur"}}) == [
        "Euro Mentor"
    ]
    mixed = await graphql(MENTORS, {"filter": {"minHourlyRate": eur(1), "maxHourlyRate": usd(9)}})
    assert mixed["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in mixed["errors"]] == [
        ("Give both rate bounds in one currency.", "BAD_USER_INPUT")
    ]


async def test_pages_have_opaque_cursors_and_a_total_count(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    for index in range(5):
        await become_mentor(graphql, await users.create(f"Mentor {index}"))
    first = (await graphql.data(MENTORS, {"first": 2}))["mentors"]
    assert first["totalCount"] == 5
    assert [edge["node"]["name"] for edge in first["edges"]] == ["Mentor 4", "Mentor 3"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert "Mentor" not in first["pageInfo"]["endCursor"]
    rest = (await graphql.data(MENTORS, {"first": 10, "after": first["pageInfo"]["endCursor"]}))[
        "mentors"
    ]
    assert [edge["node"]["name"] for edge in rest["edges"]] == ["Mentor 2", "Mentor 1", "Mentor 0"]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_first_above_100_is_refused_with_a_clear_error(graphql: GraphQLClient) -> None:
    body = await graphql(MENTORS, {"first": 101})
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        "`first` must be between 0 and 100; ask for the next page with `after` instead."
    )
    assert (await graphql.data(MENTORS, {"first": 100}))["mentors"]["totalCount"] == 0


async def test_a_mentor_is_reachable_through_node(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    mentor_id = await become_mentor(graphql, await users.create("Ada"))
    query = "query($id: ID!) { node(id: $id) { id ... on Mentor { name } } }"
    assert await graphql.data(query, {"id": mentor_id}) == {
        "node": {"id": mentor_id, "name": "Ada"}
    }


@pytest.mark.parametrize("index", [-5, 2**31, 10**20])
async def test_a_forged_cursor_is_bad_input_on_every_list(
    graphql: GraphQLClient, users: UserFactory, index: int
) -> None:
    await become_mentor(graphql, await users.create("Mia Mentor"))
    forged = to_base64("arrayconnection", index)
    nested = (
        "query($a: String) { mentors(first: 1) { edges { node { posts(first: 2, after: $a) "
        "{ totalCount } } } } }"
    )
    lists = (
        (MENTORS, {"first": 2, "after": forged}),
        (document("Posts"), {"first": 2, "after": forged}),
        (nested, {"a": forged}),
    )
    for query, variables in lists:
        body = await graphql(query, variables)
        assert [e["message"] for e in body["errors"]] == ["This cursor is not valid."]
        assert error_codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("text", ["nul\x00inside", "lone \ud800 surrogate"])
async def test_text_a_database_cannot_store_is_bad_input(
    graphql: GraphQLClient, users: UserFactory, text: str
) -> None:
    mia = await users.create("Mia Mentor")
    await become_mentor(graphql, mia)
    as_variable = await graphql(MENTORS, {"filter": {"search": text}})
    escaped = text.replace("\x00", "\\u0000").replace("\ud800", "\\ud800")
    literal = (
        f'mutation {{ updateMentorProfile(input: {{headline: "{escaped}"}}) {{ __typename }} }}'
    )
    as_literal = await graphql(literal, token=mia.token)
    for body in (as_variable, as_literal):
        assert error_codes(body) == ["BAD_USER_INPUT"], body
    # GraphQL's own parser already refuses a lone surrogate escape in a literal.
    assert as_variable["errors"][0]["message"] == UNSTORABLE_MESSAGE
    mine = await graphql.data(MENTORS)
    assert mine["mentors"]["edges"][0]["node"]["headline"] != text

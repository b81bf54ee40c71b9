"""Every way the API reaches a row goes through that row's rule (P2, P14).

The schema is walked for every field that leads to a type backed by a model (directly or as a
connection of it); each such field has a check below that sends a real operation and asserts
that an anonymous or unrelated viewer gets null or nothing where the row is private, and that
someone the rule names does see it (so the path truly reaches the row). A field added to the
schema without a check here fails ``test_every_field_that_reaches_rows_has_a_check``.
Mutation payloads are left out: they hand back what the caller just changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType
from strawberry.relay import to_base64
from tortoise.models import Model

from app.keys import RUNTIME
from models.accounts import User
from models.audit import AuditEntry
from models.deletion import LegalHold
from models.marketplace import Testimonial, TestimonialPermissionEvent
from models.privacy import PolicyAcceptance, PrivacyPolicy
from models.social import SocialImport
from resolvers.nodes import ModelNode
from resolvers.schema import MentorSchema, build_schema
from tests.access.conftest import World, gid
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.notifying import notify_in_a_request
from tests.support.subscriptions import Closed, opened, subscribed

pytestmark = [pytest.mark.promise("P2"), pytest.mark.promise("P14"), pytest.mark.shared_state]

OUTSIDERS = ("anonymous", "stranger")
# Types that show rows of a model without being Relay nodes.
VIEWS: dict[str, type[Model]] = {
    "SuccessStory": Testimonial,
    "TestimonialPermissionRecord": TestimonialPermissionEvent,
    "LegalHold": LegalHold,
    "LoginEvent": AuditEntry,
    # The policy's versions are public and named by their version, never by a node ID.
    "PrivacyPolicy": PrivacyPolicy,
    "PrivacyPolicyAcceptance": PolicyAcceptance,
    "ImportedFieldRecord": SocialImport,
}
# Types that hold no row of their own: results, and values computed for the caller.
WRAPPERS = {
    "Query",
    "Mutation",
    "Money",
    "MutationError",
    "PageInfo",
    "Consent",
    "ConsentRequirement",
    "Preferences",
    "Analytics",
    "DailyViews",
    "PostViews",
    "PageViews",
    "BrowserViews",
    "DailySignUps",
    "JobStatusCount",
    "DataProcessor",
    # The privacy information, read off the configuration.
    "PrivacyInformation",
    "PrivacyProcessor",
    "RetentionPeriod",
    "Subscription",
    "NotificationPreference",
    # The owner's deletion request and its blockers, computed for them (behind rows_of).
    "AccountDeletionState",
    "AccountDeletion",
    "AccountDeletionBlocker",
    # Who an audit entry names: an account's ID or an erased account's pseudonym, no row.
    "AuditParty",
    # The configured third-party login providers, read off the configuration.
    "AuthProvider",
}
WRAPPER_ENDINGS = ("Payload", "Connection", "Edge")


@cache
def served_schema() -> MentorSchema:
    return build_schema()


def _object_types() -> dict[str, GraphQLObjectType]:
    schema = served_schema()
    found = {}
    for name, graphql_type in schema._schema.type_map.items():
        if isinstance(graphql_type, GraphQLObjectType) and not name.startswith("__"):
            found[name] = graphql_type
    return found


def _model_backed() -> dict[str, type[Model]]:
    schema = served_schema()
    backed = dict(VIEWS)
    for name in _object_types():
        origin = getattr(schema.get_type_by_name(name), "origin", None)
        if isinstance(origin, type) and issubclass(origin, ModelNode):
            backed[name] = origin.model
    return backed


def _unwrapped(graphql_type: GraphQLOutputType) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _rows_reached(graphql_type: GraphQLOutputType) -> str | None:
    """The model-backed type a field leads to: itself, or the node of its connection."""
    found = _unwrapped(graphql_type)
    if found.name.endswith("Connection"):
        edge = _unwrapped(found.fields["edges"].type)
        found = _unwrapped(edge.fields["node"].type)
    return found.name


def reaching_fields() -> set[str]:
    backed = _model_backed()
    reached = set()
    for name, graphql_type in _object_types().items():
        if name not in ("Query", "Subscription") and name not in backed:
            continue
        for field_name, field in graphql_type.fields.items():
            target = _rows_reached(field.type)
            if target in backed or target == "Node":
                reached.add(f"{name}.{field_name}")
    return reached


def test_every_object_type_shows_rows_of_one_model_or_none() -> None:
    backed = _model_backed()
    unclassified = [
        name
        for name in _object_types()
        if name not in backed and name not in WRAPPERS and not name.endswith(WRAPPER_ENDINGS)
    ]
    assert unclassified == [], "make it a ModelNode, or add it to VIEWS or WRAPPERS"


Check = Callable[[World, GraphQLClient], Awaitable[None]]
CHECKS: dict[str, Check] = {}


def reaches(path: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        CHECKS[path] = check
        return check

    return register


def test_every_field_that_reaches_rows_has_a_check() -> None:
    assert reaching_fields() == set(CHECKS)


async def _ask(
    graphql: GraphQLClient, world: World, role: str, query: str, **variables: Any
) -> Any:
    return await graphql.data(query, variables, token=world.token(role))


NODE = "query Node($id: ID!) { node(id: $id) { id } }"
# A private row of every node type, and who may see it.
PRIVATE_NODES: dict[str, tuple[Callable[[World], str], str]] = {
    "User": (lambda w: gid("User", w.people["client"].user), "client"),
    "Mentor": (lambda w: gid("Mentor", w.gone_profile), "nobody"),
    "Post": (lambda w: gid("Post", w.draft), "mentor"),
    "Job": (lambda w: gid("Job", w.job), "client"),
    "Testimonial": (lambda w: gid("Testimonial", w.private), "moderator"),
    "Payment": (lambda w: gid("Payment", w.payment), "payments_staff"),
    "PaymentMethod": (lambda w: gid("PaymentMethod", w.card), "client"),
    "ConsentRecord": (lambda w: gid("ConsentRecord", w.consent), "client"),
    "MarketingCampaign": (lambda w: gid("MarketingCampaign", w.campaign), "marketing_staff"),
    "DataDisclosure": (lambda w: gid("DataDisclosure", w.disclosure), "client"),
    "Notification": (lambda w: gid("Notification", w.notification), "client"),
    "DataExport": (lambda w: gid("DataExport", w.export), "client"),
    "SecurityIncident": (lambda w: gid("SecurityIncident", w.incident), "security_staff"),
    "SecurityNotice": (lambda w: gid("SecurityNotice", w.notice), "client"),
    "AuditLogEntry": (lambda w: gid("AuditLogEntry", w.audit_entry), "security_staff"),
    "Session": (lambda w: gid("Session", w.session), "client"),
    "SecurityEvent": (lambda w: gid("SecurityEvent", w.security_event), "security_staff"),
    "LegalDisclosure": (lambda w: gid("LegalDisclosure", w.legal_disclosure), "legal_staff"),
    "SocialAccount": (lambda w: gid("SocialAccount", w.social_account), "client"),
    "PartnerApp": (lambda w: gid("PartnerApp", w.partner_app), "partners_staff"),
    "PartnerKey": (lambda w: gid("PartnerKey", w.partner_key), "partners_staff"),
    "PartnerGrant": (lambda w: gid("PartnerGrant", w.partner_grant), "client"),
}


def test_every_node_type_has_a_private_row_to_probe() -> None:
    nodes = {name for name, model in _model_backed().items() if name not in VIEWS}
    assert nodes == set(PRIVATE_NODES)


@reaches("Query.node")
async def _node(world: World, graphql: GraphQLClient) -> None:
    for type_name, (node_id, insider) in PRIVATE_NODES.items():
        for role in OUTSIDERS:
            assert await _ask(graphql, world, role, NODE, id=node_id(world)) == {"node": None}
        if insider != "nobody":
            seen = await _ask(graphql, world, insider, NODE, id=node_id(world))
            assert seen == {"node": {"id": node_id(world)}}, type_name


@reaches("Query.me")
async def _me(world: World, graphql: GraphQLClient) -> None:
    """Nobody else's row: anonymous gets null, a viewer themselves."""
    assert await _ask(graphql, world, "anonymous", "{ me { id } }") == {"me": None}
    mine = await _ask(graphql, world, "client", "{ me { id } }")
    assert mine == {"me": {"id": gid("User", world.people["client"].user)}}


@reaches("Query.user")
async def _user(world: World, graphql: GraphQLClient) -> None:
    query = "query User($id: ID!) { user(id: $id) { id } }"
    client = gid("User", world.people["client"].user)
    for role in OUTSIDERS:
        assert await _ask(graphql, world, role, query, id=client) == {"user": None}
    assert await _ask(graphql, world, "mentor", query, id=client) == {"user": {"id": client}}


@reaches("Query.mentors")
async def _mentors(world: World, graphql: GraphQLClient) -> None:
    query = "{ mentors { edges { node { id } } } }"
    for role in (*OUTSIDERS, "gone"):
        if role == "gone":
            continue  # a deactivated account has no session to ask with
        listed = await _ask(graphql, world, role, query)
        assert [e["node"]["id"] for e in listed["mentors"]["edges"]] == [
            gid("Mentor", world.mentor_profile)
        ]


@reaches("Query.mentor")
async def _mentor(world: World, graphql: GraphQLClient) -> None:
    query = "query Mentor($id: ID!) { mentor(id: $id) { id } }"
    gone, active = gid("Mentor", world.gone_profile), gid("Mentor", world.mentor_profile)
    for role in (*OUTSIDERS, "pii_staff"):
        assert await _ask(graphql, world, role, query, id=gone) == {"mentor": None}
        assert await _ask(graphql, world, role, query, id=active) == {"mentor": {"id": active}}


@reaches("Query.posts")
async def _posts(world: World, graphql: GraphQLClient) -> None:
    query = "{ posts { edges { node { id } } } }"
    draft = gid("Post", world.draft)
    for role in OUTSIDERS:
        listed = await _ask(graphql, world, role, query)
        assert draft not in [e["node"]["id"] for e in listed["posts"]["edges"]]
    own = await _ask(graphql, world, "mentor", query)
    assert draft in [e["node"]["id"] for e in own["posts"]["edges"]]


@reaches("Query.post")
async def _post(world: World, graphql: GraphQLClient) -> None:
    query = "query Post($id: ID!) { post(id: $id) { id } }"
    draft = gid("Post", world.draft)
    for role in OUTSIDERS:
        assert await _ask(graphql, world, role, query, id=draft) == {"post": None}
    assert await _ask(graphql, world, "mentor", query, id=draft) == {"post": {"id": draft}}


def _texts(connection: Any) -> list[str]:
    return sorted(edge["node"]["text"] for edge in connection["edges"])


@reaches("Query.testimonials")
async def _testimonials(world: World, graphql: GraphQLClient) -> None:
    """The public list: displayed ones only, for everyone, parties included."""
    query = "query T($id: ID!) { testimonials(mentorId: $id) { edges { node { text } } } }"
    shown = sorted([world.anonymous.text, world.full_name.text])
    for role in (*OUTSIDERS, "mentor", "client", "moderator"):
        listed = await _ask(graphql, world, role, query, id=gid("Mentor", world.mentor_profile))
        assert _texts(listed["testimonials"]) == shown, role


@reaches("Query.featuredTestimonials")
async def _featured(world: World, graphql: GraphQLClient) -> None:
    query = "{ featuredTestimonials { edges { node { text } } } }"
    stories = sorted([world.full_name.text, world.former_story.text])
    for role in (*OUTSIDERS, "moderator"):
        listed = await _ask(graphql, world, role, query)
        assert _texts(listed["featuredTestimonials"]) == stories


@reaches("Query.jobs")
async def _jobs(world: World, graphql: GraphQLClient) -> None:
    query = "{ jobs { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    assert await _ask(graphql, world, "stranger", query) == {"jobs": {"edges": []}}
    mine = await _ask(graphql, world, "client", query)
    assert mine == {"jobs": {"edges": [{"node": {"id": gid("Job", world.job)}}]}}


@reaches("Query.job")
async def _job(world: World, graphql: GraphQLClient) -> None:
    query = "query Job($id: ID!) { job(id: $id) { id } }"
    job = gid("Job", world.job)
    for role in (*OUTSIDERS, "pii_staff"):
        assert await _ask(graphql, world, role, query, id=job) == {"job": None}
    for role in ("client", "mentor", "payments_staff", "moderator"):
        assert await _ask(graphql, world, role, query, id=job) == {"job": {"id": job}}


@reaches("Query.payments")
async def _payments(world: World, graphql: GraphQLClient) -> None:
    query = "query P($user: ID) { payments(userId: $user) { edges { node { id } } } }"
    client = gid("User", world.people["client"].user)
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    assert await _ask(graphql, world, "stranger", query) == {"payments": {"edges": []}}
    asked = await graphql(query, {"user": client}, token=world.token("stranger"))
    assert error_codes(asked) == ["FORBIDDEN"]
    mine = await _ask(graphql, world, "client", query)
    assert mine == {"payments": {"edges": [{"node": {"id": gid("Payment", world.payment)}}]}}


MENTOR = "query M($id: ID!) { mentor(id: $id) { %s } }"


@reaches("Mentor.user")
async def _mentor_user(world: World, graphql: GraphQLClient) -> None:
    """A visible mentor's user is an active mentor, public to all; a deactivated one's is not
    reached, because the mentor itself is null (see Query.mentor)."""
    query = MENTOR % "user { id }"
    mentor = {"id": gid("User", world.people["mentor"].user)}
    for role in OUTSIDERS:
        found = await _ask(graphql, world, role, query, id=gid("Mentor", world.mentor_profile))
        assert found == {"mentor": {"user": mentor}}


@reaches("Mentor.testimonials")
async def _mentor_testimonials(world: World, graphql: GraphQLClient) -> None:
    query = MENTOR % "testimonials { edges { node { text } } }"
    shown = sorted([world.anonymous.text, world.full_name.text])
    for role in (*OUTSIDERS, "client", "moderator"):
        found = await _ask(graphql, world, role, query, id=gid("Mentor", world.mentor_profile))
        assert _texts(found["mentor"]["testimonials"]) == shown, role


@reaches("Mentor.posts")
async def _mentor_posts(world: World, graphql: GraphQLClient) -> None:
    """A mentor's page lists published posts, never drafts, even to their author."""
    query = MENTOR % "posts { edges { node { id } } }"
    for role in (*OUTSIDERS, "mentor"):
        found = await _ask(graphql, world, role, query, id=gid("Mentor", world.mentor_profile))
        posts = found["mentor"]["posts"]["edges"]
        assert posts == [{"node": {"id": gid("Post", world.published)}}], role


@reaches("Post.author")
async def _post_author(world: World, graphql: GraphQLClient) -> None:
    query = "query P($id: ID!) { post(id: $id) { author { id } } }"
    for role in OUTSIDERS:
        gone = await _ask(graphql, world, role, query, id=gid("Post", world.former_post))
        assert gone == {"post": {"author": None}}
        shown = await _ask(graphql, world, role, query, id=gid("Post", world.published))
        assert shown == {"post": {"author": {"id": gid("Mentor", world.mentor_profile)}}}


JOB = "query J($id: ID!) { job(id: $id) { %s } }"


@reaches("Job.client")
async def _job_client(world: World, graphql: GraphQLClient) -> None:
    """Payments staff open the job, not the client's profile; the mentor sees their client."""
    query = JOB % "client { id }"
    job = gid("Job", world.job)
    staff = await _ask(graphql, world, "payments_staff", query, id=job)
    assert staff == {"job": {"client": None}}
    seen = await _ask(graphql, world, "mentor", query, id=job)
    assert seen == {"job": {"client": {"id": gid("User", world.people["client"].user)}}}


@reaches("Job.mentor")
async def _job_mentor(world: World, graphql: GraphQLClient) -> None:
    query = JOB % "mentor { id }"
    gone_job = gid("Job", await world.former_story.job)
    staff = await _ask(graphql, world, "moderator", query, id=gone_job)
    assert staff == {"job": {"mentor": None}}
    client = await _ask(graphql, world, "client", query, id=gid("Job", world.job))
    assert client == {"job": {"mentor": {"id": gid("Mentor", world.mentor_profile)}}}


@reaches("Job.testimonial")
async def _job_testimonial(world: World, graphql: GraphQLClient) -> None:
    query = JOB % "testimonial { id }"
    job = gid("Job", world.job)
    staff = await _ask(graphql, world, "payments_staff", query, id=job)
    assert staff == {"job": {"testimonial": None}}
    mentor = await _ask(graphql, world, "mentor", query, id=job)
    assert mentor == {"job": {"testimonial": {"id": gid("Testimonial", world.private)}}}


TESTIMONIAL = "query T($id: ID!) { node(id: $id) { ... on Testimonial { %s } } }"


@reaches("Testimonial.author")
async def _testimonial_author(world: World, graphql: GraphQLClient) -> None:
    """An anonymous one never leads to its author, not even for the mentor; a full-name one
    leads there for whoever may see that client (the mentor they worked with, profile staff)."""
    query = TESTIMONIAL % "author { id }"
    anonymous, full_name = gid("Testimonial", world.anonymous), gid("Testimonial", world.full_name)
    for role in (*OUTSIDERS, "mentor"):
        found = await _ask(graphql, world, role, query, id=anonymous)
        assert found == {"node": {"author": None}}, role
    for role in OUTSIDERS:
        found = await _ask(graphql, world, role, query, id=full_name)
        assert found == {"node": {"author": None}}, role
    own = await _ask(graphql, world, "writer0", query, id=anonymous)
    assert own == {"node": {"author": {"id": gid("User", world.people["writer0"].user)}}}
    writer = {"id": gid("User", world.people["writer1"].user)}
    for role in ("mentor", "pii_staff"):
        found = await _ask(graphql, world, role, query, id=full_name)
        assert found == {"node": {"author": writer}}, role


@reaches("Testimonial.mentor")
async def _testimonial_mentor(world: World, graphql: GraphQLClient) -> None:
    query = TESTIMONIAL % "mentor { id }"
    for role in OUTSIDERS:
        gone = await _ask(graphql, world, role, query, id=gid("Testimonial", world.former_story))
        assert gone == {"node": {"mentor": None}}
        shown = await _ask(graphql, world, role, query, id=gid("Testimonial", world.full_name))
        assert shown == {"node": {"mentor": {"id": gid("Mentor", world.mentor_profile)}}}


@reaches("Testimonial.job")
async def _testimonial_job(world: World, graphql: GraphQLClient) -> None:
    query = TESTIMONIAL % "job { id }"
    row = gid("Testimonial", world.full_name)
    for role in OUTSIDERS:
        assert await _ask(graphql, world, role, query, id=row) == {"node": {"job": None}}
    own = await _ask(graphql, world, "writer1", query, id=row)
    assert own == {"node": {"job": {"id": gid("Job", await world.full_name.job)}}}


@reaches("Testimonial.permissionHistory")
async def _testimonial_history(world: World, graphql: GraphQLClient) -> None:
    query = TESTIMONIAL % "permissionHistory { scope }"
    row = gid("Testimonial", world.anonymous)
    for role in (*OUTSIDERS, "mentor"):
        found = await _ask(graphql, world, role, query, id=row)
        assert found == {"node": {"permissionHistory": None}}, role
    for role in ("writer0", "moderator"):
        found = await _ask(graphql, world, role, query, id=row)
        assert found == {"node": {"permissionHistory": [{"scope": "PROFILE"}]}}, role


@reaches("SuccessStory.mentor")
async def _story_mentor(world: World, graphql: GraphQLClient) -> None:
    query = "{ featuredTestimonials { edges { node { text mentor { id } } } } }"
    active = {"id": gid("Mentor", world.mentor_profile)}
    for role in OUTSIDERS:
        found = await _ask(graphql, world, role, query)
        mentors = {
            e["node"]["text"]: e["node"]["mentor"] for e in found["featuredTestimonials"]["edges"]
        }
        assert mentors == {world.full_name.text: active, world.former_story.text: None}


@reaches("Payment.job")
async def _payment_job(world: World, graphql: GraphQLClient) -> None:
    """Whoever sees a payment (its client, payments staff) sees its job too; outsiders do not
    reach the payment at all (Query.node)."""
    query = "query P($id: ID!) { node(id: $id) { ... on Payment { job { id } } } }"
    payment, job = gid("Payment", world.payment), {"id": gid("Job", world.job)}
    for role in ("client", "payments_staff"):
        assert await _ask(graphql, world, role, query, id=payment) == {"node": {"job": job}}
    for role in OUTSIDERS:
        assert await _ask(graphql, world, role, query, id=payment) == {"node": None}


@reaches("User.paymentMethods")
async def _user_cards(world: World, graphql: GraphQLClient) -> None:
    query = "query U($id: ID!) { user(id: $id) { paymentMethods { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "payments_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen in ({"user": {"paymentMethods": None}}, {"user": None}), role
    own = await _ask(graphql, world, "client", query, id=client)
    cards = [{"node": {"id": gid("PaymentMethod", world.card)}}]
    assert own == {"user": {"paymentMethods": {"edges": cards}}}


@reaches("User.consentHistory")
async def _user_consent_history(world: World, graphql: GraphQLClient) -> None:
    query = "query U($id: ID!) { user(id: $id) { consentHistory { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"consentHistory": None}}, role
    own = await _ask(graphql, world, "client", query, id=client)
    records = [{"node": {"id": gid("ConsentRecord", world.consent)}}]
    assert own == {"user": {"consentHistory": {"edges": records}}}


@reaches("User.likedPosts")
async def _user_liked_posts(world: World, graphql: GraphQLClient) -> None:
    query = "query U($id: ID!) { user(id: $id) { likedPosts { edges { node { id } } } } }"
    stranger = gid("User", world.people["stranger"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=stranger)
        assert seen in ({"user": {"likedPosts": None}}, {"user": None}), role
    own = await _ask(graphql, world, "stranger", query, id=stranger)
    liked = [{"node": {"id": gid("Post", world.published)}}]
    assert own == {"user": {"likedPosts": {"edges": liked}}}


@reaches("User.viewHistory")
async def _user_view_history(world: World, graphql: GraphQLClient) -> None:
    """The client's own views; others never, nor posts that are no longer shown."""
    query = "query U($id: ID!) { user(id: $id) { viewHistory { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"viewHistory": None}}, role
    own = await _ask(graphql, world, "client", query, id=client)
    viewed = {edge["node"]["id"] for edge in own["user"]["viewHistory"]["edges"]}
    assert viewed == {gid("Post", world.published), gid("Post", world.former_post)}


@reaches("Query.recommendedMentors")
async def _recommended_mentors(world: World, graphql: GraphQLClient) -> None:
    """Without ANALYTICS nothing; with it, a deactivated mentor is never recommended, though
    the client viewed their post."""
    query = "{ recommendedMentors { edges { node { id } } } }"
    for role in OUTSIDERS:
        refused = await graphql(query, token=world.token(role))
        assert (refused["data"], error_codes(refused)) == (
            {"recommendedMentors": None},
            ["CONSENT_REQUIRED"],
        )
    found = await _ask(graphql, world, "client", query)
    mentor = [{"node": {"id": gid("Mentor", world.mentor_profile)}}]
    assert found == {"recommendedMentors": {"edges": mentor}}


@reaches("Query.marketingCampaigns")
async def _marketing_campaigns(world: World, graphql: GraphQLClient) -> None:
    query = "{ marketingCampaigns { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("stranger", "pii_staff", "users_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "marketing_staff", query)
    campaigns = [{"node": {"id": gid("MarketingCampaign", world.campaign)}}]
    assert listed == {"marketingCampaigns": {"edges": campaigns}}


@reaches("User.dataDisclosures")
async def _user_data_disclosures(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, staff included (LEGAL staff do not even see the user); a legal disclosure
    shows only if the client may be told of it, and its ID leads back to it for them alone."""
    query = "query U($id: ID!) { user(id: $id) { dataDisclosures { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"dataDisclosures": None}}, role
    assert await _ask(graphql, world, "legal_staff", query, id=client) == {"user": None}
    own = await _ask(graphql, world, "client", query, id=client)
    legal = to_base64("DataDisclosure", f"legal-{world.legal_disclosure.id}")
    shares = [{"node": {"id": legal}}, {"node": {"id": gid("DataDisclosure", world.disclosure)}}]
    assert own == {"user": {"dataDisclosures": {"edges": shares}}}
    secret = to_base64("DataDisclosure", f"legal-{world.secret_disclosure.id}")
    for role in (*OUTSIDERS, "legal_staff", "client"):
        assert await _ask(graphql, world, role, NODE, id=secret) == {"node": None}, role
    for role in (*OUTSIDERS, "legal_staff"):
        assert await _ask(graphql, world, role, NODE, id=legal) == {"node": None}, role
    assert await _ask(graphql, world, "client", NODE, id=legal) == {"node": {"id": legal}}


@reaches("Query.legalDisclosures")
async def _legal_disclosures(world: World, graphql: GraphQLClient) -> None:
    """LEGAL staff alone, and of the disclosures, those they asked for."""
    query = "{ legalDisclosures { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("client", "pii_staff", "users_staff", "security_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "legal_staff", query)
    mine = [world.secret_disclosure, world.legal_disclosure]  # newest first
    edges = [{"node": {"id": gid("LegalDisclosure", row)}} for row in mine]
    assert listed == {"legalDisclosures": {"edges": edges}}


@reaches("User.dataExports")
async def _user_data_exports(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, staff included: nobody else learns that a user asked for a copy."""
    query = "query U($id: ID!) { user(id: $id) { dataExports { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"dataExports": None}}, role
    own = await _ask(graphql, world, "client", query, id=client)
    exports = [{"node": {"id": gid("DataExport", world.export)}}]
    assert own == {"user": {"dataExports": {"edges": exports}}}


@reaches("Query.securityIncidents")
async def _security_incidents(world: World, graphql: GraphQLClient) -> None:
    query = "{ securityIncidents { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("client", "pii_staff", "users_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "security_staff", query)
    incidents = [{"node": {"id": gid("SecurityIncident", world.incident)}}]
    assert listed == {"securityIncidents": {"edges": incidents}}


@reaches("User.securityNotices")
async def _user_security_notices(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, SECURITY staff included: they count the people an incident concerned."""
    query = "query U($id: ID!) { user(id: $id) { securityNotices { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"securityNotices": None}}, role
    staff = await _ask(graphql, world, "security_staff", query, id=client)
    assert staff in ({"user": None}, {"user": {"securityNotices": None}})
    own = await _ask(graphql, world, "client", query, id=client)
    notices = [{"node": {"id": gid("SecurityNotice", world.notice)}}]
    assert own == {"user": {"securityNotices": {"edges": notices}}}


@reaches("Query.users")
async def _users(world: World, graphql: GraphQLClient) -> None:
    """Account staff only; they reach every account, a deactivated one too."""
    query = "{ users(first: 100) { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("stranger", "pii_staff", "security_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "users_staff", query)
    ids = {edge["node"]["id"] for edge in listed["users"]["edges"]}
    assert ids == {gid("User", person.user) for person in world.people.values()}


@reaches("Query.auditLog")
async def _audit_log(world: World, graphql: GraphQLClient) -> None:
    # The seeded log-in (checks before this one may have added staff reads).
    query = "{ auditLog(filter: {action: LOGIN}) { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("client", "pii_staff", "users_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "security_staff", query)
    entries = [{"node": {"id": gid("AuditLogEntry", world.audit_entry)}}]
    assert listed == {"auditLog": {"edges": entries}}


@reaches("Query.partnerApps")
async def _partner_apps(world: World, graphql: GraphQLClient) -> None:
    """Staff who manage partners only."""
    query = "{ partnerApps { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("client", "users_staff", "security_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "partners_staff", query)
    apps = [{"node": {"id": gid("PartnerApp", world.partner_app)}}]
    assert listed == {"partnerApps": {"edges": apps}}


APP_PART = "query A($id: ID!) { node(id: $id) { ... on PartnerApp { %s } } }"


@reaches("PartnerApp.keys")
async def _partner_app_keys(world: World, graphql: GraphQLClient) -> None:
    query = APP_PART % "keys { id }"
    app = gid("PartnerApp", world.partner_app)
    for role in (*OUTSIDERS, "security_staff"):
        assert await _ask(graphql, world, role, query, id=app) == {"node": None}, role
    seen = await _ask(graphql, world, "partners_staff", query, id=app)
    assert seen == {"node": {"keys": [{"id": gid("PartnerKey", world.partner_key)}]}}


@reaches("PartnerApp.auditTrail")
async def _partner_app_audit_trail(world: World, graphql: GraphQLClient) -> None:
    query = APP_PART % "auditTrail { edges { node { action } } }"
    app = gid("PartnerApp", world.partner_app)
    for role in (*OUTSIDERS, "security_staff"):
        assert await _ask(graphql, world, role, query, id=app) == {"node": None}, role
    seen = await _ask(graphql, world, "partners_staff", query, id=app)
    trail = [{"node": {"action": "PARTNER_APP_CREATED"}}]
    assert seen == {"node": {"auditTrail": {"edges": trail}}}


@reaches("Query.partnerGrants")
async def _partner_grants(world: World, graphql: GraphQLClient) -> None:
    """Each user their own."""
    query = "{ partnerGrants { id } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("stranger", "partners_staff", "security_staff"):
        assert await _ask(graphql, world, role, query) == {"partnerGrants": []}, role
    own = await _ask(graphql, world, "client", query)
    assert own == {"partnerGrants": [{"id": gid("PartnerGrant", world.partner_grant)}]}


@reaches("User.loginHistory")
async def _user_login_history(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, SECURITY staff included: they read the audit log itself, not this view."""
    query = "query U($id: ID!) { user(id: $id) { loginHistory { edges { node { ipPrefix } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff", "security_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen in ({"user": {"loginHistory": None}}, {"user": None}), role
    own = await _ask(graphql, world, "client", query, id=client)
    events = [{"node": {"ipPrefix": "192.0.2.0/24"}}]
    assert own == {"user": {"loginHistory": {"edges": events}}}


@reaches("User.sessions")
async def _user_sessions(world: World, graphql: GraphQLClient) -> None:
    query = "query U($id: ID!) { user(id: $id) { sessions { edges { node { id } } } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"sessions": None}}, role
    own = await _ask(graphql, world, "client", query, id=client)
    assert own == {
        "user": {"sessions": {"edges": [{"node": {"id": gid("Session", world.session)}}]}}
    }


@reaches("User.socialAccounts")
async def _user_social_accounts(world: World, graphql: GraphQLClient) -> None:
    """The client's linked provider account and what it sent: theirs alone."""
    query = (
        "query U($id: ID!) { user(id: $id) { socialAccounts { id uid importedFields { field } } } }"
    )
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff", "security_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen in ({"user": {"socialAccounts": None}}, {"user": None}), role
    own = await _ask(graphql, world, "client", query, id=client)
    account = {
        "id": gid("SocialAccount", world.social_account),
        "uid": "client-at-acme",
        "importedFields": [{"field": "NAME"}],
    }
    assert own == {"user": {"socialAccounts": [account]}}


@reaches("SocialAccount.importedFields")
async def _social_account_imports(world: World, graphql: GraphQLClient) -> None:
    query = (
        "query N($id: ID!) { node(id: $id) { ... on SocialAccount { importedFields { field } } } }"
    )
    account = gid("SocialAccount", world.social_account)
    for role in (*OUTSIDERS, "mentor", "pii_staff", "security_staff"):
        assert await _ask(graphql, world, role, query, id=account) == {"node": None}, role
    own = await _ask(graphql, world, "client", query, id=account)
    assert own == {"node": {"importedFields": [{"field": "NAME"}]}}


@reaches("Query.securityEvents")
async def _security_events(world: World, graphql: GraphQLClient) -> None:
    query = "{ securityEvents { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("stranger", "pii_staff", "users_staff"):
        assert error_codes(await graphql(query, token=world.token(role))) == ["FORBIDDEN"]
    listed = await _ask(graphql, world, "security_staff", query)
    events = [{"node": {"id": gid("SecurityEvent", world.security_event)}}]
    assert listed == {"securityEvents": {"edges": events}}


@reaches("Query.privacyPolicy")
async def _privacy_policy(world: World, graphql: GraphQLClient) -> None:
    """Public: everyone reads the version in force."""
    for role in (*OUTSIDERS, "client"):
        found = await _ask(graphql, world, role, "{ privacyPolicy { version } }")
        assert found == {"privacyPolicy": {"version": "1"}}, role


@reaches("Query.privacyPolicyVersions")
async def _privacy_policy_versions(world: World, graphql: GraphQLClient) -> None:
    """Public: everyone reads the whole history."""
    query = "{ privacyPolicyVersions { edges { node { version } } } }"
    for role in (*OUTSIDERS, "client"):
        found = await _ask(graphql, world, role, query)
        assert found == {"privacyPolicyVersions": {"edges": [{"node": {"version": "1"}}]}}, role


@reaches("User.privacyPolicyAcceptance")
async def _user_policy_acceptance(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, staff included: which version someone accepted is theirs."""
    query = "query U($id: ID!) { user(id: $id) { privacyPolicyAcceptance { version } } }"
    client = gid("User", world.people["client"].user)
    for role in ("mentor", "pii_staff", "users_staff"):
        seen = await _ask(graphql, world, role, query, id=client)
        assert seen == {"user": {"privacyPolicyAcceptance": None}}, role
    own = await _ask(graphql, world, "client", query, id=client)
    assert own == {"user": {"privacyPolicyAcceptance": {"version": "1"}}}


@reaches("Query.notifications")
async def _notifications(world: World, graphql: GraphQLClient) -> None:
    """Owner-only, staff included: nobody else's notifications, whatever their permissions."""
    query = "{ notifications { edges { node { id } } } }"
    assert error_codes(await graphql(query)) == ["UNAUTHENTICATED"]
    for role in ("stranger", "mentor", "pii_staff", "payments_staff"):
        assert await _ask(graphql, world, role, query) == {"notifications": {"edges": []}}
    mine = await _ask(graphql, world, "client", query)
    edges = [{"node": {"id": gid("Notification", world.notification)}}]
    assert mine == {"notifications": {"edges": edges}}


NOTIFICATION = "query N($id: ID!) { node(id: $id) { ... on Notification { %s } } }"


async def _notification_leads_to(
    world: World, graphql: GraphQLClient, field: str, type_name: str, row: object
) -> None:
    """Its recipient reaches what it names; nobody else reaches the notification at all."""
    query = NOTIFICATION % f"{field} {{ id }}"
    notification = gid("Notification", world.notification)
    for role in (*OUTSIDERS, "mentor", "payments_staff", "moderator"):
        found = await _ask(graphql, world, role, query, id=notification)
        assert found == {"node": None}, role
    own = await _ask(graphql, world, "client", query, id=notification)
    assert own == {"node": {field: {"id": gid(type_name, row)}}}


@reaches("Notification.job")
async def _notification_job(world: World, graphql: GraphQLClient) -> None:
    await _notification_leads_to(world, graphql, "job", "Job", world.job)


@reaches("Notification.testimonial")
async def _notification_testimonial(world: World, graphql: GraphQLClient) -> None:
    await _notification_leads_to(world, graphql, "testimonial", "Testimonial", world.private)


@reaches("Notification.payment")
async def _notification_payment(world: World, graphql: GraphQLClient) -> None:
    await _notification_leads_to(world, graphql, "payment", "Payment", world.payment)


@reaches("Subscription.notifications")
async def _subscribed_notifications(world: World, graphql: GraphQLClient) -> None:
    """Nobody else hears of the client's notification: an anonymous connection is refused,
    another signed-in user's stream stays silent, and the client's own delivers it."""
    http, client = graphql.http, world.people["client"].user
    bus = http.app[RUNTIME].notifications
    async with opened(http.ws_connect) as anonymous:
        with pytest.raises(Closed) as refused:
            await anonymous.init()
        assert refused.value.code == 4403

    def following(user: User) -> Callable[[], bool]:
        return lambda: bool(bus.following(user.id))

    stranger = world.people["stranger"]
    async with (
        subscribed(
            http.ws_connect, token=stranger.token, following=following(stranger.user)
        ) as outsider,
        subscribed(
            http.ws_connect, token=world.token("client"), following=following(client)
        ) as own,
    ):
        written = await notify_in_a_request(http.app[RUNTIME], client, world.job)
        try:
            assert (await own.notification())["id"] == gid("Notification", written)
            assert await outsider.silent_for(0.5)
        finally:
            await written.delete()


@pytest.mark.parametrize("path", sorted(CHECKS))
async def test_the_path_hides_private_rows_from_outsiders(
    path: str, world: World, graphql: GraphQLClient
) -> None:
    await CHECKS[path](world, graphql)

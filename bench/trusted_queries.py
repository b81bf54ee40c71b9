"""Every trusted query in graphql/ with real data to answer: the rows each reads, the viewer
it is sent as and the variables it is sent with (bench/page_query.py measures them).

The marketplace comes from page_query's seed, other rows from bench/trusted_rows.py; what a
client makes in one call is made here through the API (log-ins with their sessions and
audit, consents, an accepted policy, remembered preferences, views, likes, partner apps).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
from floor import global_id
from harness import ROOT

from app.sessions import VISITOR_COOKIE
from core import clock

DOCUMENTS = ROOT / "graphql"
PASSWORD = "bench viewer password, not a secret"
STAFF_EMAIL = "staff@bench.example"
# Who sends each query that needs someone signed in; every other one goes anonymous.
STAFF_QUERIES = frozenset(
    [
        "Analytics",
        "AuditLog",
        "LegalDisclosures",
        "PartnerApps",
        "SecurityEvents",
        "SecurityIncidents",
        "Users",
    ]
)
USER_QUERIES = frozenset(
    [
        "AccountDeletion",
        "ConsentHistory",
        "ConsentRequirements",
        "Consents",
        "DataDisclosures",
        "DataExports",
        "Job",
        "Jobs",
        "LikedPosts",
        "LoginHistory",
        "Me",
        "NotificationPreferences",
        "Notifications",
        "PartnerGrants",
        "PaymentMethods",
        "Payments",
        "Preferences",
        "PrivacyPolicyReview",
        "RecommendedMentors",
        "SecurityNotices",
        "Sessions",
        "SocialAccounts",
        "ViewHistory",
    ]
)
# Queries whose answer changes from one request to the next, or from one server to the
# other, whatever runs them: their two first answers are not compared.
VARYING = {
    "AuditLog": "a staff read of the log is itself audited, so the next answer lists it",
    "AuthProviders": "each loginUrl holds the address of the server that answers",
    "Post": "each read counts one view",
}
# What the servers are configured with, so the queries that list configuration list some:
# two login providers (AuthProviders) and an advertising partner (DataProcessors).
CONFIGURATION = {
    "GITHUB_CLIENT_ID": "bench",
    "GITHUB_CLIENT_SECRET": "bench",
    "GOOGLE_CLIENT_ID": "bench",
    "GOOGLE_CLIENT_SECRET": "bench",
    "ADVERTISING_PARTNERS": json.dumps(
        [
            {
                "name": "AdPartner",
                "purpose": "advertising",
                "country": "DE",
                "endpoint": "https://partner.example/audiences",
                "fields": ["email_sha256"],
            }
        ]
    ),
}


# Every document of graphql/ by name, with its exact text: what a client sends.
DOCUMENT_TEXTS = {path.stem: path.read_text() for path in sorted(DOCUMENTS.glob("*.graphql"))}


def trusted_queries() -> dict[str, str]:
    """Each query of graphql/ by name (the documents with a line starting `query`)."""
    return {
        name: text
        for name, text in DOCUMENT_TEXTS.items()
        if any(line.startswith("query") for line in text.splitlines())
    }


def viewer_of(name: str) -> str:
    """Who sends the query ``name``: staff, user (signed in) or anon."""
    return "staff" if name in STAFF_QUERIES else "user" if name in USER_QUERIES else "anon"


@dataclass
class Seeded:
    """The rows the variables name, and the viewers' bearer tokens once signed in."""

    user_email: str
    mentor_profile_id: int
    mentor_user_id: int
    post_ids: list[int]
    job_id: int
    tokens: dict[str, str] = field(default_factory=dict)
    # The browser cookie the user's remembered preferences hang on (Preferences reads them).
    visitor_cookie: str = ""

    def variables(self, name: str, first: int) -> dict[str, Any]:
        today = clock.now().date()
        mentor = global_id("Mentor", self.mentor_profile_id)
        given: dict[str, dict[str, Any]] = {
            "Analytics": {"range": {"from": str(today - timedelta(days=30)), "to": str(today)}},
            "Job": {"id": global_id("Job", self.job_id)},
            "Jobs": {"as": "CLIENT"},
            "Mentor": {"id": mentor},
            "Mentors": {"first": first},
            "Post": {"id": global_id("Post", self.post_ids[0])},
            "Testimonials": {"mentorId": mentor},
            "User": {"id": global_id("User", self.mentor_user_id)},
        }
        return given.get(name, {})

    def headers(self, name: str) -> dict[str, str]:
        viewer = viewer_of(name)
        if viewer == "anon":
            return {}
        cookie = {"Cookie": self.visitor_cookie} if name == "Preferences" else {}
        return {"Authorization": f"Bearer {self.tokens[viewer]}", **cookie}


async def sign_in_and_act(url: str, seeded: Seeded) -> None:
    """Through the API: log in (three sessions for the user), then what a user and staff do."""
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            seeded.tokens["user"] = await _log_in(session, url, seeded.user_email)
        seeded.tokens["staff"] = await _log_in(session, url, STAFF_EMAIL)
        user = {"Authorization": f"Bearer {seeded.tokens['user']}"}
        for purpose in ("ANALYTICS", "PREFERENCES", "MARKETING_EMAIL"):
            await _mutate(session, url, "SetConsent", {"purpose": purpose, "granted": True}, user)
        await _mutate(
            session, url, "SetConsent", {"purpose": "MARKETING_EMAIL", "granted": False}, user
        )
        await _mutate(session, url, "AcceptPrivacyPolicy", {"version": "1"}, user)
        preferences = {"language": "en", "timezone": "Europe/Paris", "currency": "EUR"}
        cookies = await _mutate(session, url, "RememberPreferences", preferences, user)
        seeded.visitor_cookie = f"{VISITOR_COOKIE}={cookies[VISITOR_COOKIE].value}"
        for post_id in seeded.post_ids:
            post = {"postId": global_id("Post", post_id)}
            await _mutate(session, url, "LikePost", post, user)
            await _mutate(session, url, "RecordInteraction", {"kind": "POST_VIEW", **post}, user)
        await _mutate(
            session, url, "RecordInteraction", {"kind": "PAGE_VIEW", "path": "/mentors"}, user
        )
        staff = {"Authorization": f"Bearer {seeded.tokens['staff']}"}
        for n in range(3):
            app = {"name": f"Partner {n}", "scopes": ["MARKETPLACE_READ"], "redirectUris": []}
            await _mutate(session, url, "CreatePartnerApp", app, staff)


async def _log_in(session: aiohttp.ClientSession, url: str, email: str) -> str:
    given = {"email": email, "password": PASSWORD, "session": "TOKEN"}
    answer, _ = await _send(session, url, "LogIn", {"input": given})
    token: str = answer["data"]["logIn"]["token"]
    return token


async def _mutate(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    given: dict[str, Any],
    headers: dict[str, str],
) -> SimpleCookie:
    """Send a mutation of graphql/, which must succeed; answer the cookies it set."""
    answer, cookies = await _send(session, url, name, {"input": given}, headers)
    payload = next(iter(answer["data"].values()))
    if payload["errors"]:
        raise SystemExit(f"seeding through {name} failed: {payload['errors']}")
    return cookies


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    variables: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], SimpleCookie]:
    body = {"query": DOCUMENT_TEXTS[name], "variables": variables}
    async with session.post(url, json=body, headers=headers or {}) as response:
        answer: dict[str, Any] = await response.json(content_type=None)
        cookies = response.cookies
    if answer.get("errors") or not answer.get("data"):
        raise SystemExit(f"seeding through {name} failed: {answer}")
    return answer, cookies

"""The consent ledger: every optional use of personal data waits for a recorded, provable,
withdrawable choice (P1, P6, P7, P18), for accounts and anonymous visitors alike."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from models.marketplace import MentorProfile
from models.privacy import ConsentRecord, ConsentSource, Visitor
from services.privacy import consents
from services.privacy.features import REQUIREMENTS
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P6")

SET_CONSENT = document("SetConsent")
CONSENTS = document("Consents")
HISTORY = document("ConsentHistory")
VISITOR = "mentor_visitor"


def choice(purpose: str, granted: bool) -> dict[str, Any]:
    return {"input": {"purpose": purpose, "granted": granted}}


def _granted(consents: list[dict[str, Any]]) -> dict[str, bool]:
    return {consent["purpose"]: consent["granted"] for consent in consents}


@pytest.mark.promise("P1")
async def test_everything_optional_is_off_until_granted(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice")
    for token in (None, alice.token):
        consents = (await graphql.data(CONSENTS, token=token))["consents"]
        assert _granted(consents) == {
            "NECESSARY": True,
            "PREFERENCES": False,
            "ANALYTICS": False,
            "MARKETING_COOKIES": False,
            "MARKETING_EMAIL": False,
            "ADVERTISING_PARTNERS": False,
        }
        assert [c["canWithdraw"] for c in consents if c["purpose"] == "NECESSARY"] == [False]
    assert await Visitor.all().count() == 0, "reading the defaults starts no visitor"


async def test_granting_and_withdrawing_are_one_mutation_and_each_is_kept(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice")
    for granted in (True, False, True):
        body = await graphql.data(SET_CONSENT, choice("ANALYTICS", granted), token=alice.token)
        consent = body["setConsent"]["consent"]
        assert consent.pop("decidedAt") is not None
        assert body["setConsent"] == {
            "consent": {
                "purpose": "ANALYTICS",
                "granted": granted,
                "source": "API",
                "policyVersion": "1",
                "overriddenByGpc": False,
            },
            "errors": [],
        }
    history = (await graphql.data(HISTORY, token=alice.token))["me"]["consentHistory"]
    assert history["totalCount"] == 3
    assert [edge["node"]["granted"] for edge in history["edges"]] == [True, False, True]
    assert {edge["node"]["policyVersion"] for edge in history["edges"]} == {"1"}
    consents = (await graphql.data(CONSENTS, token=alice.token))["consents"]
    assert _granted(consents)["ANALYTICS"] is True


async def test_necessary_cannot_be_withdrawn_and_nothing_is_written(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice")
    body = await graphql.data(SET_CONSENT, choice("NECESSARY", False), token=alice.token)
    assert [(e["field"], e["code"]) for e in body["setConsent"]["errors"]] == [
        ("purpose", "BAD_USER_INPUT")
    ]
    unknown = await graphql(SET_CONSENT, choice("TELEPATHY", True), token=alice.token)
    assert error_codes(unknown) == ["BAD_USER_INPUT"]
    assert await ConsentRecord.all().count() == 0


async def _post(
    http: TestClient[Any, Any],
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    visitor: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[dict[str, Any], SimpleCookie]:
    sent = dict(headers or {})
    if visitor:
        sent["Cookie"] = f"{VISITOR}={visitor}"
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )
    cookies: SimpleCookie = SimpleCookie()
    for header in response.headers.getall("Set-Cookie", []):
        cookies.load(header)
    return await response.json(), cookies


async def test_an_anonymous_visitor_gets_a_cookie_with_its_first_choice(
    http: TestClient[Any, Any],
) -> None:
    body, cookies = await _post(http, SET_CONSENT, choice("ANALYTICS", True))
    assert body["data"]["setConsent"]["consent"]["source"] == "WEB"
    cookie = cookies[VISITOR]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 395 * 24 * 3600
    again, more = await _post(http, CONSENTS, visitor=cookie.value)
    assert _granted(again["data"]["consents"])["ANALYTICS"] is True
    assert VISITOR not in more, "a known visitor gets no new cookie"
    stranger, _ = await _post(http, CONSENTS)
    assert _granted(stranger["data"]["consents"])["ANALYTICS"] is False
    stored = await Visitor.all()
    assert len(stored) == 1 and stored[0].token_hash != cookie.value


async def test_a_visitors_choices_become_the_accounts_and_the_newer_wins(
    http: TestClient[Any, Any], graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    await graphql.data(SET_CONSENT, choice("MARKETING_EMAIL", True), token=alice.token)
    _, cookies = await _post(http, SET_CONSENT, choice("ANALYTICS", True))
    visitor = cookies[VISITOR].value
    await _post(
        http,
        SET_CONSENT,
        choice("MARKETING_EMAIL", False),
        visitor=visitor,
    )
    logged_in, _ = await _post(
        http,
        "mutation L($input: LogInInput!) { logIn(input: $input) { token } }",
        {"input": {"email": "alice@example.com", "password": PASSWORD, "session": "TOKEN"}},
        visitor=visitor,
    )
    token = logged_in["data"]["logIn"]["token"]
    consents = _granted((await graphql.data(CONSENTS, token=token))["consents"])
    assert (consents["ANALYTICS"], consents["MARKETING_EMAIL"]) == (True, False)
    history = (await graphql.data(HISTORY, token=token))["me"]["consentHistory"]
    assert history["totalCount"] == 3, "the account's older grant stays in the history"


async def test_consents_granted_at_sign_up_are_recorded_as_such(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    sign_up = "mutation S($input: SignUpInput!) { signUp(input: $input) { errors { code } } }"
    await graphql.data(
        sign_up,
        {
            "input": {
                "email": "new@example.com",
                "password": "a long enough passphrase here",
                "name": "New",
                "consents": ["MARKETING_EMAIL"],
            }
        },
    )
    (record,) = await ConsentRecord.all()
    assert (record.purpose, record.granted, record.source) == (
        "MARKETING_EMAIL",
        True,
        ConsentSource.SIGN_UP,
    )


GPC = {"Sec-GPC": "1"}


@pytest.mark.promise("P18")
async def test_global_privacy_control_opts_out_once_and_is_honoured(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice")
    for purpose in ("MARKETING_EMAIL", "ADVERTISING_PARTNERS", "ANALYTICS"):
        await graphql.data(SET_CONSENT, choice(purpose, True), token=alice.token)
    for _ in range(2):
        consents = (await graphql.data(CONSENTS, token=alice.token, headers=GPC))["consents"]
    by_purpose = {c["purpose"]: c for c in consents}
    for purpose in ("MARKETING_COOKIES", "MARKETING_EMAIL", "ADVERTISING_PARTNERS"):
        assert (by_purpose[purpose]["granted"], by_purpose[purpose]["overriddenByGpc"]) == (
            False,
            True,
        )
    assert by_purpose["ANALYTICS"]["granted"] is True, "GPC is about selling and sharing"
    gpc_records = await ConsentRecord.filter(source=ConsentSource.GPC).order_by("purpose")
    assert [(r.purpose, r.granted) for r in gpc_records] == [
        ("ADVERTISING_PARTNERS", False),
        ("MARKETING_COOKIES", False),
        ("MARKETING_EMAIL", False),
    ], "recorded once, however many requests carry the signal"
    without = _granted((await graphql.data(CONSENTS, token=alice.token))["consents"])
    assert without["MARKETING_EMAIL"] is False, "the recorded opt-out outlives the request"


async def test_a_grant_sent_with_gpc_is_a_conflict(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    alice = await users.create("Alice")
    body = await graphql.data(
        SET_CONSENT,
        choice("MARKETING_EMAIL", True),
        token=alice.token,
        headers=GPC,
    )
    assert [e["code"] for e in body["setConsent"]["errors"]] == ["CONSENT_CONFLICT"]
    assert not await ConsentRecord.filter(granted=True).exists()


CONSENT_REQUIREMENTS = document("ConsentRequirements")
PREFERENCES = document("Preferences")
REMEMBER = document("RememberPreferences")


@pytest.mark.promise("P7")
async def test_features_say_which_consent_they_need_and_refuse_without_it(
    http: TestClient[Any, Any],
) -> None:
    listed, _ = await _post(http, CONSENT_REQUIREMENTS)
    needs = {
        r["feature"]: (r["purpose"], r["granted"]) for r in listed["data"]["consentRequirements"]
    }
    assert needs["REMEMBERED_PREFERENCES"] == ("PREFERENCES", False)
    assert needs["VIEW_HISTORY"] == ("ANALYTICS", False)

    refused, cookies = await _post(http, REMEMBER, {"input": {"language": "en"}})
    assert refused["data"]["rememberPreferences"]["errors"][0]["code"] == "CONSENT_REQUIRED"
    assert VISITOR not in cookies, "a refused call starts no visitor"
    read, _ = await _post(http, PREFERENCES)
    assert [e["extensions"] for e in read["errors"]] == [
        {"code": "CONSENT_REQUIRED", "purpose": "PREFERENCES", "feature": "REMEMBERED_PREFERENCES"}
    ]


async def test_remembered_preferences_are_forgotten_when_consent_is_withdrawn(
    http: TestClient[Any, Any],
) -> None:
    _, cookies = await _post(http, SET_CONSENT, choice("PREFERENCES", True))
    visitor = cookies[VISITOR].value
    kept, _ = await _post(
        http, REMEMBER, {"input": {"language": "pt-BR", "currency": "eur"}}, visitor=visitor
    )
    assert kept["data"]["rememberPreferences"]["preferences"] == {
        "language": "pt-BR",
        "timezone": None,
        "currency": "EUR",
    }
    bad, _ = await _post(http, REMEMBER, {"input": {"timezone": "Mars/Olympus"}}, visitor=visitor)
    assert bad["data"]["rememberPreferences"]["errors"][0]["field"] == "timezone"
    await _post(http, SET_CONSENT, choice("PREFERENCES", False), visitor=visitor)
    stored = await Visitor.get()
    assert (stored.language, stored.timezone, stored.currency) == (None, None, None)
    read, _ = await _post(http, PREFERENCES, visitor=visitor)
    assert read["errors"][0]["extensions"]["code"] == "CONSENT_REQUIRED"


async def test_a_users_consents_are_theirs_alone(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    """Even where the account itself is public (a mentor's), its ledger is not."""
    alice: SignedIn = await users.create("Alice")
    await MentorProfile.create(user=alice.user, headline="Open to all")
    bob = await users.create("Bob")
    await graphql.data(SET_CONSENT, choice("ANALYTICS", True), token=alice.token)
    query = (
        "query U($id: ID!) { user(id: $id) { consents { purpose } consentHistory { totalCount } } }"
    )
    asked = await graphql.data(query, {"id": alice.global_id}, token=bob.token)
    assert asked == {"user": {"consents": None, "consentHistory": None}}
    own = await graphql.data(query, {"id": alice.global_id}, token=alice.token)
    assert own["user"]["consentHistory"] == {"totalCount": 1}


@pytest.mark.promise("P1")
def test_every_feature_that_uses_personal_data_names_an_optional_purpose() -> None:
    """An optional use of personal data is tied to the purpose a person can refuse."""
    assert REQUIREMENTS, "features that need consent are declared"
    assert {requirement.purpose for requirement in REQUIREMENTS.values()} <= consents.OPTIONAL

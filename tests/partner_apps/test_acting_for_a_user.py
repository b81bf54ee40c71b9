"""A partner app acts for a user only after the user consents: OAuth 2.0's authorization code
flow with PKCE, the token limited to the scopes granted, listed to the user and revocable."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.partner_apps import PartnerGrant
from tests.partner_apps.helpers import codes, create_partner_app, partner_manager
from tests.support.documents import document
from tests.support.graphql import GraphQLClient
from tests.support.subscriptions import Closed, opened
from tests.support.users import SignedIn, UserFactory

AUTHORIZE = document("AuthorizePartnerApp")
GRANTS = document("PartnerGrants")
REVOKE_GRANT = document("RevokePartnerGrant")
UPDATE_PROFILE = document("UpdateProfile")
CALLBACK = "https://partner.example/callback"
ME = "query Me { me { id name } }"


async def _partner(graphql: GraphQLClient, users: UserFactory) -> dict[str, Any]:
    staff = await partner_manager(users)
    created = await graphql.data(
        document("CreatePartnerApp"),
        {
            "input": {
                "name": "Scheduler",
                "scopes": ["MARKETPLACE_READ", "USER_READ", "USER_WRITE"],
                "redirectUris": [CALLBACK],
            }
        },
        token=staff.token,
    )
    payload: dict[str, Any] = created["createPartnerApp"]
    return {"client_id": payload["partnerApp"]["clientId"], "key": payload["key"]}


async def _consent(
    graphql: GraphQLClient, user: SignedIn, client_id: str, scope: str, verifier: str
) -> dict[str, list[str]]:
    data = await graphql.data(
        AUTHORIZE,
        {
            "input": {
                "clientId": client_id,
                "scope": scope,
                "state": "state-123",
                "codeChallenge": create_s256_code_challenge(verifier),
            }
        },
        token=user.token,
    )
    redirect_to = data["authorizePartnerApp"]["redirectTo"]
    assert redirect_to.startswith(CALLBACK + "?")
    return parse_qs(urlsplit(redirect_to).query)


async def _exchange(
    http: TestClient[Any, Any], partner: dict[str, Any], code: str, verifier: str
) -> tuple[int, dict[str, Any]]:
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": partner["client_id"],
            "client_secret": partner["key"],
            "code_verifier": verifier,
        },
    )
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await response.json()
    return response.status, body


async def test_a_consenting_user_gives_a_token_that_acts_for_them_with_the_granted_scopes(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    partner = await _partner(graphql, users)
    ada = await users.create("Ada")
    verifier = secrets.token_urlsafe(48)
    returned = await _consent(graphql, ada, partner["client_id"], "user:read", verifier)
    assert returned["state"] == ["state-123"]
    code = returned["code"][0]

    status, refused = await _exchange(http, partner, code, secrets.token_urlsafe(48))
    assert (status, refused["error"]) == (400, "invalid_grant")

    status, token = await _exchange(http, partner, code, verifier)
    assert status == 200
    assert token["token_type"] == "Bearer" and token["scope"] == "user:read"
    access = token["access_token"]
    assert access.startswith("mpu_live_")
    assert access not in str(await PartnerGrant.all().values())

    me = await graphql.data(ME, token=access)
    assert me == {"me": {"id": ada.global_id, "name": "Ada"}}
    # Granted to read, not to act: the user's own powers do not widen the grant.
    changed = await graphql(UPDATE_PROFILE, {"input": {"name": "Eve"}}, token=access)
    assert changed["errors"][0]["extensions"] == {
        "code": "INSUFFICIENT_SCOPE",
        "scopes": ["user:write"],
    }
    # A code is good once.
    status, again = await _exchange(http, partner, code, verifier)
    assert (status, again["error"]) == (400, "invalid_grant")


async def test_a_token_with_user_write_acts_and_lands_in_the_apps_audit_trail(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    partner = await _partner(graphql, users)
    ada = await users.create("Ada")
    verifier = secrets.token_urlsafe(48)
    code = (await _consent(graphql, ada, partner["client_id"], "user:read user:write", verifier))[
        "code"
    ][0]
    _, token = await _exchange(http, partner, code, verifier)

    changed = await graphql.data(
        UPDATE_PROFILE, {"input": {"name": "Ada L."}}, token=token["access_token"]
    )
    assert changed["updateProfile"]["user"]["name"] == "Ada L."
    trail = (
        await AuditEntry.filter(partner_app_id__isnull=False)
        .order_by("id")
        .values("action", "subject_id")
    )
    assert [(row["action"], row["subject_id"]) for row in trail[-3:]] == [
        (AuditAction.PARTNER_GRANT_GIVEN, ada.user.id),
        (AuditAction.PARTNER_TOKEN_ISSUED, ada.user.id),
        (AuditAction.PARTNER_MUTATION, ada.user.id),
    ]


async def test_the_user_sees_the_grant_and_revoking_it_refuses_the_token_at_once(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    partner = await _partner(graphql, users)
    ada = await users.create("Ada")
    verifier = secrets.token_urlsafe(48)
    code = (await _consent(graphql, ada, partner["client_id"], "user:read", verifier))["code"][0]
    _, token = await _exchange(http, partner, code, verifier)

    grants = (await graphql.data(GRANTS, token=ada.token))["partnerGrants"]
    assert [(g["appName"], g["scopes"]) for g in grants] == [("Scheduler", ["USER_READ"])]
    # The partner cannot list or revoke the user's grants itself.
    assert codes(await graphql(GRANTS, token=token["access_token"])) == ["INSUFFICIENT_SCOPE"]

    revoked = await graphql.data(
        REVOKE_GRANT, {"input": {"grantId": grants[0]["id"]}}, token=ada.token
    )
    assert revoked["revokePartnerGrant"]["errors"] == []
    assert codes(await graphql(ME, token=token["access_token"])) == ["UNAUTHENTICATED"]
    assert (await graphql.data(GRANTS, token=ada.token))["partnerGrants"] == []


async def test_a_request_beyond_the_apps_scopes_or_without_pkce_gets_no_code(
    graphql: GraphQLClient, users: UserFactory
) -> None:
    staff = await partner_manager(users)
    created = await create_partner_app(graphql, staff, "Narrow", ["MARKETPLACE_READ"])
    ada = await users.create("Ada")
    client_id = created["partnerApp"]["clientId"]
    asked = {"clientId": client_id, "scope": "user:read", "codeChallenge": "x" * 43}

    # The app has no redirect URI: nowhere to send a code, so the request is refused here.
    body = await graphql.data(AUTHORIZE, {"input": asked}, token=ada.token)
    assert [e["code"] for e in body["authorizePartnerApp"]["errors"]] == ["BAD_USER_INPUT"]

    partner = await _partner(graphql, users)
    beyond = {**asked, "clientId": partner["client_id"], "scope": "user:read staff"}
    body = await graphql.data(AUTHORIZE, {"input": beyond}, token=ada.token)
    returned = parse_qs(urlsplit(body["authorizePartnerApp"]["redirectTo"]).query)
    assert returned["error"] == ["invalid_scope"] and "code" not in returned

    plain = {**beyond, "scope": "user:read", "codeChallengeMethod": "plain"}
    body = await graphql.data(AUTHORIZE, {"input": plain}, token=ada.token)
    returned = parse_qs(urlsplit(body["authorizePartnerApp"]["redirectTo"]).query)
    assert returned["error"] == ["invalid_request"] and "code" not in returned
    # Only the code flow is served (no implicit grant handing tokens to the browser).
    implicit = {**beyond, "scope": "user:read", "responseType": "token"}
    body = await graphql.data(AUTHORIZE, {"input": implicit}, token=ada.token)
    assert [e["code"] for e in body["authorizePartnerApp"]["errors"]] == ["BAD_USER_INPUT"]
    assert await PartnerGrant.all().count() == 0


async def test_the_token_endpoint_needs_one_of_the_apps_keys(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    partner = await _partner(graphql, users)
    ada = await users.create("Ada")
    verifier = secrets.token_urlsafe(48)
    code = (await _consent(graphql, ada, partner["client_id"], "user:read", verifier))["code"][0]

    status, body = await _exchange(http, {**partner, "key": "mpk_live_wrong"}, code, verifier)
    assert (status, body["error"]) == (401, "invalid_client")
    status, _ = await _exchange(http, partner, code, verifier)
    assert status == 200


async def _token_for(
    graphql: GraphQLClient,
    http: TestClient[Any, Any],
    partner: dict[str, Any],
    user: SignedIn,
    scope: str,
) -> str:
    verifier = secrets.token_urlsafe(48)
    code = (await _consent(graphql, user, partner["client_id"], scope, verifier))["code"][0]
    status, token = await _exchange(http, partner, code, verifier)
    assert status == 200
    access: str = token["access_token"]
    return access


async def test_a_token_acting_for_staff_holds_none_of_their_staff_powers(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any]
) -> None:
    partner = await _partner(graphql, users)
    officer = await users.create("Officer", staff=[StaffPermission.VIEW_PII])
    client = await users.create("Client", email="client@example.com")
    token = await _token_for(graphql, http, partner, officer, "marketplace:read user:read")
    read = "query U($id: ID!) { user(id: $id) { email } }"

    as_staff = await graphql.data(read, {"id": client.global_id}, token=officer.token)
    assert as_staff == {"user": {"email": "client@example.com"}}
    as_partner = await graphql.data(read, {"id": client.global_id}, token=token)
    assert as_partner == {"user": None}


@pytest.mark.parametrize("credential", ["key", "token"])
async def test_a_partner_credential_opens_no_websocket_connection(
    graphql: GraphQLClient, users: UserFactory, http: TestClient[Any, Any], credential: str
) -> None:
    partner = await _partner(graphql, users)
    ada = await users.create("Ada")
    bearer = partner["key"]
    if credential == "token":
        bearer = await _token_for(graphql, http, partner, ada, "user:read")
    async with opened(http.ws_connect, headers={"Authorization": f"Bearer {bearer}"}) as socket:
        with pytest.raises(Closed) as refused:
            await socket.init({})
        assert refused.value.code == 4403


async def test_the_authorization_endpoint_sends_the_browser_to_the_consent_page(
    http: TestClient[Any, Any],
) -> None:
    asked = "response_type=code&client_id=mpa_1&scope=user%3Aread&state=s&code_challenge=c"
    response = await http.get(f"/oauth/authorize?{asked}&other=dropped", allow_redirects=False)
    assert response.status == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/app/authorize"
    assert parse_qs(location.query) == {
        "response_type": ["code"],
        "client_id": ["mpa_1"],
        "scope": ["user:read"],
        "state": ["s"],
        "code_challenge": ["c"],
    }
    page = await http.get(f"{location.path}?{location.query}")
    assert page.status == 200
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]

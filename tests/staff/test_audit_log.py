"""The audit log (P15: "we prevent security issues and investigate breaches"; P13 for the
staff reads it proves): SECURITY staff read every staff read of personal data, billing
lookup, disclosure, export, deletion, consent change and security event, newest first, and
an erased account only by its pseudonym."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from core import clock
from core.runtime import Runtime
from core.settings import AdvertisingPartner
from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.deletion import AccountDeletion
from services import partners
from tests.deletion.helpers import LOG_IN, asked, confirm, erase_after
from tests.marketing.conftest import PartnerEndpoint
from tests.marketing.helpers import choose
from tests.privacy.test_data_export import worker
from tests.staff.helpers import AUDIT_LOG, DEACTIVATE, audited, mutate
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = [pytest.mark.promise("P15"), pytest.mark.promise("P13")]

P = StaffPermission
USER = document("User")
PAYMENTS = document("Payments")
SET_CONSENT = document("SetConsent")
REQUEST_EXPORT = document("RequestDataExport")
PLACE_HOLD = document("PlaceLegalHold")
# The log without the network prefixes: reading one of someone else's is itself audited.
ENTRIES = """
query Entries($filter: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { action subject { userId } } }
  }
}
"""


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice Liddell", email="alice@example.com")


@pytest.fixture
async def guard(users: UserFactory) -> SignedIn:
    return await users.create("Sid Security", email="sid@example.com", staff=[P.SECURITY])


async def _log(
    graphql: GraphQLClient, guard: SignedIn, query: str = AUDIT_LOG, **filter: Any
) -> list[dict[str, Any]]:
    data = await graphql.data(query, {"filter": filter, "first": 100}, token=guard.token)
    return [edge["node"] for edge in data["auditLog"]["edges"]]


async def _log_in(graphql: GraphQLClient, who: SignedIn, password: str = PASSWORD) -> None:
    await graphql.data(LOG_IN, {"input": {"email": who.user.email, "password": password}})


async def test_an_entry_shows_its_action_parties_detail_network_and_request(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, guard: SignedIn
) -> None:
    admin = await users.create("Ada Admin", email="ada@example.com", staff=[P.MANAGE_USERS])
    await mutate(
        graphql, DEACTIVATE, "deactivateUser", admin, userId=alice.global_id, reason="FRAUD"
    )
    (entry,) = await _log(graphql, guard, action="USER_DEACTIVATED")
    stored = await AuditEntry.get(action=AuditAction.USER_DEACTIVATED)
    assert entry == {
        "id": entry["id"],
        "action": "USER_DEACTIVATED",
        "actor": {"userId": admin.global_id, "pseudonym": None},
        "subject": {"userId": alice.global_id, "pseudonym": None},
        "detail": {"reason": "FRAUD"},
        "ipPrefix": "127.0.0.0/24",
        "requestId": stored.request_id,
        "createdAt": entry["createdAt"],
    }
    assert stored.request_id
    # Security staff read Alice's network: that read is in the log too.
    assert await audited(AuditAction.PII_READ) == [
        (guard.user.id, alice.user.id, {"fields": ["AuditEntry.ip_prefix"]})
    ]


async def test_the_log_is_for_security_staff_only(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn
) -> None:
    assert error_codes(await graphql(AUDIT_LOG)) == ["UNAUTHENTICATED"]
    everyone_else = [perm for perm in P if perm is not P.SECURITY]
    staff = await users.create("All But Security", staff=everyone_else)
    for who in (alice, staff):
        refused = await graphql(AUDIT_LOG, token=who.token)
        assert (refused["data"], error_codes(refused)) == (None, ["FORBIDDEN"])


async def test_filters_by_action_actor_subject_and_time_newest_first(
    graphql: GraphQLClient, users: UserFactory, alice: SignedIn, guard: SignedIn
) -> None:
    bob = await users.create("Bob", email="bob@example.com")
    await _log_in(graphql, alice)
    await _log_in(graphql, bob)
    await _log_in(graphql, alice, "a wrong password, surely")
    newest_first = [
        (n["action"], n["subject"]["userId"]) for n in await _log(graphql, guard, ENTRIES)
    ]
    assert newest_first == [
        ("LOGIN_FAILED", alice.global_id),
        ("LOGIN", bob.global_id),
        ("LOGIN", alice.global_id),
    ]
    assert len(await _log(graphql, guard, ENTRIES, action="LOGIN")) == 2
    assert len(await _log(graphql, guard, ENTRIES, subjectId=alice.global_id)) == 2
    assert (
        len(await _log(graphql, guard, ENTRIES, actorId=alice.global_id)) == 1
    )  # a failure has no actor
    both = await _log(graphql, guard, ENTRIES, action="LOGIN", subjectId=bob.global_id)
    assert [n["subject"]["userId"] for n in both] == [bob.global_id]

    # Move the oldest entry a day back: a window holds only what happened inside it.
    oldest = await AuditEntry.filter(subject_id=alice.user.id).order_by("id").first()
    assert oldest is not None
    await AuditEntry.filter(id=oldest.id).update(created_at=clock.now() - timedelta(days=1))
    since = (clock.now() - timedelta(hours=1)).isoformat()
    until = (clock.now() - timedelta(hours=2)).isoformat()
    assert len(await _log(graphql, guard, ENTRIES, **{"from": since})) == 2
    assert len(await _log(graphql, guard, ENTRIES, to=until)) == 1

    wrong = await graphql(ENTRIES, {"filter": {"actorId": "not an id"}}, token=guard.token)
    assert error_codes(wrong) == ["BAD_USER_INPUT"]


async def test_pages_through_a_fixed_window(
    graphql: GraphQLClient, alice: SignedIn, guard: SignedIn
) -> None:
    for _ in range(3):
        await _log_in(graphql, alice)
    window = {"to": (clock.now() + timedelta(seconds=1)).isoformat()}
    first = await graphql.data(ENTRIES, {"filter": window, "first": 2}, token=guard.token)
    page = first["auditLog"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"], len(page["edges"])) == (3, True, 2)
    rest = await graphql.data(
        ENTRIES,
        {"filter": window, "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=guard.token,
    )
    assert len(rest["auditLog"]["edges"]) == 1
    assert rest["auditLog"]["pageInfo"]["hasNextPage"] is False


async def test_the_log_holds_every_kind_of_event_staff_and_security_care_about(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    mailbox: Mailbox,
    alice: SignedIn,
    guard: SignedIn,
) -> None:
    reader = await users.create("Pia Pii", staff=[P.VIEW_PII])
    payments = await users.create("Pat Payments", staff=[P.MANAGE_PAYMENTS])
    lawyer = await users.create("Lee Legal", staff=[P.LEGAL])
    await _log_in(graphql, alice)
    await _log_in(graphql, alice, "a wrong password, surely")
    await graphql.data(USER, {"id": alice.global_id}, token=reader.token)
    await graphql.data(PAYMENTS, {"userId": alice.global_id}, token=payments.token)
    await choose(graphql, alice, "ANALYTICS", True)
    assert (await graphql.data(REQUEST_EXPORT, token=alice.token))["requestDataExport"][
        "errors"
    ] == []
    await worker(runtime).build_exports()
    hold = {"userId": alice.global_id, "reference": "Case 9", "reason": "Order"}
    await graphql.data(PLACE_HOLD, {"input": hold}, token=lawyer.token)
    await asked(graphql, mailbox, await users.create("Dee Parting"))

    actions = {node["action"] for node in await _log(graphql, guard, ENTRIES)}
    assert {
        "LOGIN",
        "LOGIN_FAILED",
        "PII_READ",
        "BILLING_LOOKUP",
        "CONSENT_CHANGED",
        "DATA_EXPORT_REQUESTED",
        "DATA_EXPORT_BUILT",
        "LEGAL_HOLD_PLACED",
        "DELETION_REQUESTED",
    } <= actions
    (consent,) = await _log(graphql, guard, action="CONSENT_CHANGED")
    assert (consent["subject"]["userId"], consent["detail"]) == (
        alice.global_id,
        {"purpose": "ANALYTICS", "granted": True, "source": "API"},
    )


async def test_a_consent_change_is_audited_for_an_account_and_not_for_a_visitor(
    http: TestClient[Any, Any], graphql: GraphQLClient, alice: SignedIn
) -> None:
    choice = {"input": {"purpose": "MARKETING_EMAIL", "granted": False}}
    response = await http.post("/graphql", json={"query": SET_CONSENT, "variables": choice})
    assert (await response.json())["data"]["setConsent"]["consent"]["granted"] is False
    assert await audited(AuditAction.CONSENT_CHANGED) == []
    visitor = response.cookies["mentor_visitor"].value

    logged_in = await http.post(
        "/graphql",
        json={
            "query": LOG_IN,
            "variables": {"input": {"email": alice.user.email, "password": PASSWORD}},
        },
        headers={"Cookie": f"mentor_visitor={visitor}"},
    )
    assert (await logged_in.json())["data"]["logIn"]["errors"] == []
    # The visitor's choice joined her ledger: now it is hers, and audited as such.
    assert await audited(AuditAction.CONSENT_CHANGED) == [
        (
            alice.user.id,
            alice.user.id,
            {"purpose": "MARKETING_EMAIL", "granted": False, "source": "WEB", "from_visitor": True},
        )
    ]


async def test_a_share_with_an_advertising_partner_is_in_the_log(
    graphql: GraphQLClient,
    runtime: Runtime,
    alice: SignedIn,
    guard: SignedIn,
    partner_endpoint: PartnerEndpoint,
    configure: Callable[..., None],
) -> None:
    configure(
        advertising_partners=(
            AdvertisingPartner(
                name="Adnet",
                purpose="Showing our offers on its network",
                country="IE",
                endpoint=partner_endpoint.url,
                fields=("email_sha256",),
            ),
        )
    )
    await choose(graphql, alice, "ADVERTISING_PARTNERS", True)
    assert await partners.share(runtime) == 1
    (shared,) = await _log(graphql, guard, action="DATA_SHARED_WITH_PARTNER")
    assert (shared["subject"]["userId"], shared["detail"]) == (
        alice.global_id,
        {"partner": "Adnet", "fields": ["email_sha256"]},
    )


async def test_an_erased_account_appears_by_its_pseudonym_only(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    mailbox: Mailbox,
    alice: SignedIn,
    guard: SignedIn,
) -> None:
    reader = await users.create("Pia Pii", email="pia@example.com", staff=[P.VIEW_PII])
    await _log_in(graphql, alice)
    await graphql.data(USER, {"id": alice.global_id}, token=reader.token)
    for who in (alice, reader):
        confirm_token, _ = await asked(graphql, mailbox, who)
        await confirm(graphql, confirm_token)
    assert await erase_after(runtime, timedelta(days=30)) == 2
    pseudonyms = {deletion.user_id: deletion.pseudonym for deletion in await AccountDeletion.all()}
    erased_alice = {"userId": None, "pseudonym": pseudonyms[alice.user.id]}
    erased_reader = {"userId": None, "pseudonym": pseudonyms[reader.user.id]}

    about_her = await _log(graphql, guard, subjectId=alice.global_id)
    assert {entry["action"] for entry in about_her} >= {
        "LOGIN",
        "PII_READ",
        "DELETION_CONFIRMED",
        "ACCOUNT_ERASED",
    }
    assert all(entry["subject"] == erased_alice for entry in about_her)
    assert all(entry["ipPrefix"] is None for entry in about_her), "her network went with her"
    (read,) = [entry for entry in about_her if entry["action"] == "PII_READ"]
    assert read["actor"] == erased_reader

    everything = json.dumps(await _log(graphql, guard))
    for trace in (alice.global_id, reader.global_id, "Alice", "alice@example.com", "Pia"):
        assert trace not in everything

"""Legal disclosure (P11): LEGAL staff produce a package of a user's data the law requires,
holding only the requested categories, downloaded once by whoever asked, each step audited;
the user sees it once it is made unless the law forbids telling them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from strawberry.relay import to_base64

from app.sessions import SESSION_COOKIE
from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.disclosures import DisclosureStatus, LegalDisclosure
from models.exports import DataExport
from models.marketing import PartnerDisclosure
from models.notifications import Notification
from services.access.policy import Category, Export
from services.access.registry import REGISTRY
from services.privacy import legal_disclosures
from tests.deletion.helpers import asked, confirm, erase_after
from tests.privacy.test_data_export import PHOTO, request, rows, seed, unzipped, worker
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.smtp import Mailbox
from tests.support.users import SignedIn, UserFactory

pytestmark = pytest.mark.promise("P11")

CREATE = document("CreateLegalDisclosure")
LISTED = document("LegalDisclosures")
DISCLOSURES = document("DataDisclosures")
NOTIFICATIONS = document("Notifications")
REFERENCE = "Order 2026/4417 of the District Court"
AUTHORITY = "District Court of Utrecht"


@pytest.fixture
def builder_held(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No worker builds packages on its own, so a test sees them PENDING until it does."""

    async def held() -> int:
        return 0

    monkeypatch.setattr(worker(runtime), "build_disclosures", held)
    yield


async def legal_staff(users: UserFactory, name: str = "Lena Legal") -> SignedIn:
    return await users.create(name, staff=[StaffPermission.LEGAL])


def asking(subject: SignedIn, *categories: str, notify: bool = True, **changes: Any) -> Any:
    given = {
        "userId": subject.global_id,
        "legalReference": REFERENCE,
        "authority": AUTHORITY,
        "categories": list(categories),
        "notifySubject": notify,
    }
    return {"input": {**given, **changes}}


async def create(graphql: GraphQLClient, staff: SignedIn, variables: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await graphql.data(CREATE, variables, token=staff.token))[
        "createLegalDisclosure"
    ]
    return payload


async def built(
    graphql: GraphQLClient, runtime: Runtime, staff: SignedIn, variables: Any
) -> dict[str, Any]:
    """Ask for a package and have the worker build it; answers its entry in the staff list."""
    payload = await create(graphql, staff, variables)
    assert payload["errors"] == [], payload
    await worker(runtime).build_disclosures()  # what the woken task does
    found = await mine(graphql, staff)
    (entry,) = [node for node in found if node["id"] == payload["legalDisclosure"]["id"]]
    assert entry["status"] == "READY", entry
    return entry


async def mine(graphql: GraphQLClient, staff: SignedIn) -> list[dict[str, Any]]:
    listed = (await graphql.data(LISTED, token=staff.token))["legalDisclosures"]
    return [edge["node"] for edge in listed["edges"]]


async def fetch(http: TestClient[Any, Any], path: str, token: str | None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.get(path, headers=headers)
    return response.status, await response.read()


def path_of(entry: dict[str, Any]) -> str:
    return urlsplit(entry["downloadUrl"]).path


def of_categories(*categories: Category) -> dict[str, set[str]]:
    """What the registry says a package of ``categories`` holds: per model with an owner,
    its exported personal fields of those categories; models with none are left out."""
    expected = {}
    for model, privacy in REGISTRY.items():
        fields = {
            name
            for name, rule in privacy.personal.items()
            if rule.category in categories and rule.export is not Export.OMIT
        }
        if privacy.owner is not None and fields:
            expected[model.__name__] = fields
    return expected


async def shown_to(graphql: GraphQLClient, who: SignedIn) -> list[dict[str, Any]]:
    found = (await graphql.data(DISCLOSURES, token=who.token))["me"]["dataDisclosures"]
    return [edge["node"] for edge in found["edges"]]


async def test_the_package_holds_only_the_requested_categories(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    given = await seed(users, runtime, graphql)
    erin, staff = given.erin, await legal_staff(users)

    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT", "DEVICE_NETWORK"))
    assert (entry["legalReference"], entry["authority"]) == (REFERENCE, AUTHORITY)
    assert entry["categories"] == ["CONTACT", "DEVICE_NETWORK"]
    assert entry["subjectId"] == erin.global_id and entry["sizeBytes"] > 0
    status, package = await fetch(http, path_of(entry), staff.token)
    assert status == 200
    data, opened = unzipped(package)

    requested = (Category.CONTACT, Category.DEVICE_NETWORK)
    assert {name: set(found["fields"]) for name, found in data["models"].items()} == (
        of_categories(*requested)
    )
    for name, found in data["models"].items():
        assert set(found["fields"].values()) <= {"CONTACT", "DEVICE_NETWORK"}, name
        for row in found["rows"]:
            assert set(row) <= set(found["fields"]), name
    (user_row,) = rows(data, "User")
    assert user_row == {"email": "erin@example.com", "email_verified": True}
    assert {row["ip_prefix"] for row in rows(data, "Session")} == {"127.0.0.0/24"}
    text = opened.read("data.json").decode()
    for elsewhere in ("Erin Exporter", "Erin bakes sourdough", "Exports explained", "/mentors"):
        assert elsewhere not in text  # IDENTITY, CONTENT and BEHAVIOUR were not asked for
    assert not [name for name in opened.namelist() if name.startswith("files/")]
    assert (data["legal_reference"], data["authority"]) == (REFERENCE, AUTHORITY)
    readme = opened.read("README.txt").decode()
    assert REFERENCE in readme and AUTHORITY in readme and "CONTACT, DEVICE_NETWORK" in readme

    # A file goes only with its category: the photo is IDENTITY.
    entry = await built(graphql, runtime, staff, asking(erin, "IDENTITY"))
    data, opened = unzipped((await fetch(http, path_of(entry), staff.token))[1])
    assert set(data["models"]) == set(of_categories(Category.IDENTITY))
    (user_row,) = rows(data, "User")
    assert user_row["name"] == "Erin Exporter" and "email" not in user_row
    assert opened.read(user_row["photo_key"]) == PHOTO


async def test_every_step_is_in_the_audit_log_with_its_reference_and_never_a_value(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    erin = await users.create("Erin Subject", email="erin@example.com")
    staff = await legal_staff(users)
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT", "IDENTITY"))
    assert (await fetch(http, path_of(entry), staff.token))[0] == 200

    steps = await AuditEntry.filter(action__startswith="LEGAL_DISCLOSURE").order_by("id")
    assert [(e.action, e.actor_id, e.subject_id) for e in steps] == [
        (AuditAction.LEGAL_DISCLOSURE_REQUESTED, staff.user.id, erin.user.id),
        (AuditAction.LEGAL_DISCLOSURE_BUILT, None, erin.user.id),
        (AuditAction.LEGAL_DISCLOSURE_DOWNLOADED, staff.user.id, erin.user.id),
    ]
    disclosure = await LegalDisclosure.get(user_id=erin.user.id)
    for step in steps:
        assert step.detail["disclosure"] == disclosure.id
        assert step.detail["reference"] == REFERENCE
        assert step.detail["categories"] == ["CONTACT", "IDENTITY"]
        written = json.dumps(step.detail)
        assert "erin@example.com" not in written and "Erin Subject" not in written
    assert steps[0].detail["authority"] == AUTHORITY
    assert steps[2].request_id is not None


async def test_the_package_downloads_once_for_whoever_asked_and_the_file_is_deleted(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    erin, staff = await users.create("Erin"), await legal_staff(users)
    colleague = await legal_staff(users, "Colin Colleague")
    pii_staff = await users.create("Pia Pii", staff=[StaffPermission.VIEW_PII])
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT"))
    url = path_of(entry)
    disclosure = await LegalDisclosure.get(user_id=erin.user.id)
    key = disclosure.file_key
    assert key is not None and await runtime.files.get(key) is not None

    unknown = f"/disclosures/{to_base64('LegalDisclosure', disclosure.id + 1000)}"
    refused = [
        await fetch(http, url, None),
        await fetch(http, url, colleague.token),
        await fetch(http, url, erin.token),
        await fetch(http, url, pii_staff.token),
        await fetch(http, url, "not-a-session"),
        await fetch(http, unknown, staff.token),
        await fetch(http, f"/disclosures/{to_base64('DataExport', disclosure.id)}", staff.token),
        await fetch(http, "/disclosures/not-an-id", staff.token),
    ]
    assert len(set(refused)) == 1 and refused[0][0] == 404
    assert await AuditEntry.filter(action=AuditAction.LEGAL_DISCLOSURE_DOWNLOADED).count() == 0

    by_cookie = await http.get(url, headers={"Cookie": f"{SESSION_COOKIE}={staff.token}"})
    assert by_cookie.status == 200
    assert by_cookie.headers["Cache-Control"] == "private, no-store"
    assert by_cookie.headers["Content-Disposition"].startswith("attachment;")
    assert by_cookie.content_type == "application/zip"
    assert len(await by_cookie.read()) == entry["sizeBytes"]

    assert await fetch(http, url, staff.token) == refused[0]  # a second download
    assert await runtime.files.get(key) is None
    (after,) = await mine(graphql, staff)
    assert (after["status"], after["downloadUrl"]) == ("DOWNLOADED", None)
    assert after["downloadedAt"] is not None
    assert await AuditEntry.filter(action=AuditAction.LEGAL_DISCLOSURE_DOWNLOADED).count() == 1
    assert await mine(graphql, colleague) == []  # each sees the ones they asked for


async def test_a_package_not_built_yet_is_not_found(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    http: TestClient[Any, Any],
    builder_held: None,
) -> None:
    erin, staff = await users.create("Erin"), await legal_staff(users)
    created = await create(graphql, staff, asking(erin, "CONTACT"))
    entry = created["legalDisclosure"]
    assert entry["status"] == "PENDING"
    assert (await fetch(http, f"/disclosures/{entry['id']}", staff.token))[0] == 404
    assert await legal_disclosures.build_pending(runtime) == 1
    assert await legal_disclosures.build_pending(runtime) == 0  # never built twice
    (ready,) = await mine(graphql, staff)
    assert ready["status"] == "READY"
    assert (await fetch(http, path_of(ready), staff.token))[0] == 200


async def test_a_package_nobody_downloads_is_deleted_after_its_lifetime(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    erin, staff = await users.create("Erin"), await legal_staff(users)
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT"))
    key = (await LegalDisclosure.get(user_id=erin.user.id)).file_key
    assert key is not None
    with clock.moved_clock(runtime.settings.legal_disclosure_lifetime + timedelta(minutes=1)):
        assert (await fetch(http, path_of(entry), staff.token))[0] == 404
        assert await worker(runtime).expire_disclosures() == 1
    assert await runtime.files.get(key) is None
    (expired,) = await mine(graphql, staff)
    assert (expired["status"], expired["downloadUrl"]) == ("EXPIRED", None)
    assert await shown_to(graphql, erin) == []  # nothing was disclosed


@pytest.mark.parametrize(
    "permissions", [[], [StaffPermission.VIEW_PII, StaffPermission.MANAGE_USERS]]
)
async def test_only_legal_staff_may_ask_or_list(
    graphql: GraphQLClient, users: UserFactory, permissions: list[StaffPermission]
) -> None:
    erin = await users.create("Erin")
    other = await users.create("Oscar", staff=permissions)
    refused = await graphql(CREATE, asking(erin, "CONTACT"), token=other.token)
    assert (refused["data"], error_codes(refused)) == (None, ["FORBIDDEN"])
    assert "LEGAL" in refused["errors"][0]["message"]
    assert error_codes(await graphql(LISTED, token=other.token)) == ["FORBIDDEN"]
    assert error_codes(await graphql(CREATE, asking(erin, "CONTACT"))) == ["UNAUTHENTICATED"]
    assert await LegalDisclosure.all().count() == 0
    assert await AuditEntry.filter(action__startswith="LEGAL_DISCLOSURE").count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"legalReference": ""}, "legalReference", "BAD_USER_INPUT"),
        ({"legalReference": "   "}, "legalReference", "BAD_USER_INPUT"),
        ({"legalReference": "x" * 201}, "legalReference", "BAD_USER_INPUT"),
        ({"authority": " "}, "authority", "BAD_USER_INPUT"),
        ({"categories": []}, "categories", "BAD_USER_INPUT"),
        ({"categories": ["CONTACT", "CREDENTIAL"]}, "categories", "BAD_USER_INPUT"),
        ({"userId": to_base64("User", 987654)}, "userId", "NOT_FOUND"),
        ({"userId": to_base64("Post", 1)}, "userId", "NOT_FOUND"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    graphql: GraphQLClient,
    users: UserFactory,
    changes: dict[str, Any],
    field: str,
    code: str,
) -> None:
    erin, staff = await users.create("Erin"), await legal_staff(users)
    payload = await create(graphql, staff, asking(erin, "CONTACT", **changes))
    assert payload["legalDisclosure"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await LegalDisclosure.all().count() == 0
    assert await AuditEntry.filter(action__startswith="LEGAL_DISCLOSURE").count() == 0


async def test_the_subject_sees_it_once_made_beside_partner_shares_and_is_notified(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    http: TestClient[Any, Any],
    mailbox: Mailbox,
) -> None:
    erin = await users.create("Erin", email="erin@example.com")
    staff = await legal_staff(users)
    share = {"partner": "Adnet", "purpose": "Ads", "country": "IE", "fields_sent": ["name"]}
    for hours in (48, 24):
        await PartnerDisclosure.create(
            user=erin.user, disclosed_at=clock.now() - timedelta(hours=hours), **share
        )
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT", "FINANCIAL"))
    assert [node["kind"] for node in await shown_to(graphql, erin)] == ["PARTNER_SHARE"] * 2
    assert await Notification.filter(recipient_id=erin.user.id).count() == 0

    assert (await fetch(http, path_of(entry), staff.token))[0] == 200

    newest, *shares = await shown_to(graphql, erin)
    disclosure = await LegalDisclosure.get(user_id=erin.user.id)
    assert newest == {
        "id": to_base64("DataDisclosure", f"legal-{disclosure.id}"),
        "kind": "LEGAL_DISCLOSURE",
        "partner": None,
        "purpose": None,
        "country": None,
        "fields": None,
        "authority": AUTHORITY,
        "categories": ["CONTACT", "FINANCIAL"],
        "disclosedAt": newest["disclosedAt"],
    }
    assert [(s["kind"], s["partner"], s["authority"]) for s in shares] == [
        ("PARTNER_SHARE", "Adnet", None)
    ] * 2
    # One list, paged across both kinds.
    page = "query P($after: String) { me { dataDisclosures(first: 2, after: $after) { "
    page += "totalCount pageInfo { hasNextPage endCursor } edges { node { kind } } } } }"
    first = (await graphql.data(page, token=erin.token))["me"]["dataDisclosures"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    after = {"after": first["pageInfo"]["endCursor"]}
    rest = (await graphql.data(page, after, token=erin.token))["me"]["dataDisclosures"]
    kinds = [edge["node"]["kind"] for edge in first["edges"] + rest["edges"]]
    assert kinds == ["LEGAL_DISCLOSURE", "PARTNER_SHARE", "PARTNER_SHARE"]
    # And backwards from the end, across both kinds again.
    back = "query B($before: String) { me { dataDisclosures(last: 2, before: $before) { "
    back += "pageInfo { hasPreviousPage startCursor } edges { node { kind } } } } }"
    end = (await graphql.data(back, token=erin.token))["me"]["dataDisclosures"]
    assert [edge["node"]["kind"] for edge in end["edges"]] == ["PARTNER_SHARE"] * 2
    assert end["pageInfo"]["hasPreviousPage"] is True
    before = {"before": end["pageInfo"]["startCursor"]}
    start = (await graphql.data(back, before, token=erin.token))["me"]["dataDisclosures"]
    assert [edge["node"]["kind"] for edge in start["edges"]] == ["LEGAL_DISCLOSURE"]
    assert start["pageInfo"]["hasPreviousPage"] is False

    # Told in words that name nothing else; the reference never reaches them.
    (note,) = (await graphql.data(NOTIFICATIONS, token=erin.token))["notifications"]["edges"]
    assert note["node"]["kind"] == "LEGAL_DISCLOSURE"
    mail = await mailbox.wait_for("erin@example.com", "Your data was disclosed")
    said = json.dumps(note) + str(mail) + json.dumps(newest)
    assert "as the law requires" in said and REFERENCE not in said


async def test_the_subject_is_not_told_when_the_law_forbids_it_not_even_by_their_export(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    http: TestClient[Any, Any],
    mailbox: Mailbox,
) -> None:
    erin = await users.create("Erin", email="erin@example.com")
    staff = await legal_staff(users)
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT", notify=False))
    await graphql.data(LISTED, token=staff.token)  # staff read it, as they do
    assert (await fetch(http, path_of(entry), staff.token))[0] == 200
    assert await LegalDisclosure.filter(status=DisclosureStatus.DOWNLOADED).count() == 1

    assert await shown_to(graphql, erin) == []
    assert await Notification.filter(recipient_id=erin.user.id).count() == 0
    legal_id = (await LegalDisclosure.get(user_id=erin.user.id)).id
    hidden = to_base64("DataDisclosure", f"legal-{legal_id}")
    node = "query N($id: ID!) { node(id: $id) { id } }"
    assert await graphql.data(node, {"id": hidden}, token=erin.token) == {"node": None}

    # Their own copy of their data says nothing of it either.
    export = await request(graphql, erin)
    await worker(runtime).build_exports()
    (ready,) = [
        e["node"]
        for e in (await graphql.data(document("DataExports"), token=erin.token))["me"][
            "dataExports"
        ]["edges"]
        if e["node"]["id"] == export["id"]
    ]
    status, archive = await fetch(http, urlsplit(ready["downloadUrl"]).path, erin.token)
    assert status == 200
    data, opened = unzipped(archive)
    assert rows(data, "LegalDisclosure") == []
    actions = {row["action"] for row in rows(data, "AuditEntry")}
    assert "DATA_EXPORT_REQUESTED" in actions
    assert not {action for action in actions if action.startswith("LEGAL_DISCLOSURE")}
    assert REFERENCE not in opened.read("data.json").decode()
    assert [m for m in mailbox.to("erin@example.com") if "disclosed" in str(m["Subject"])] == []


async def test_a_told_disclosure_is_in_the_subjects_export_without_its_reference(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    erin, staff = await users.create("Erin"), await legal_staff(users)
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT"))
    assert (await fetch(http, path_of(entry), staff.token))[0] == 200
    await request(graphql, erin)
    await worker(runtime).build_exports()

    key = (await DataExport.get(user_id=erin.user.id)).file_key
    content = await runtime.files.get(key or "")
    assert content is not None
    data, opened = unzipped(content)
    (told,) = rows(data, "LegalDisclosure")
    assert (told["authority"], told["categories"]) == (AUTHORITY, ["CONTACT"])
    assert told["downloaded_at"] is not None
    assert "legal_reference" not in told and "requested_by" not in told
    assert REFERENCE not in opened.read("data.json").decode()


async def test_erasure_deletes_a_waiting_package_and_keeps_the_record(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    http: TestClient[Any, Any],
    mailbox: Mailbox,
) -> None:
    """The record is the platform's legal record and names no value of the person's: it
    stays, pointing at the tombstoned account. The package goes with the erasure."""
    erin = await users.create("Erin Erased", email="erin@example.com")
    staff = await legal_staff(users)
    entry = await built(graphql, runtime, staff, asking(erin, "CONTACT"))
    key = (await LegalDisclosure.get(user_id=erin.user.id)).file_key
    assert key is not None

    confirm_token, _ = await asked(graphql, mailbox, erin)
    assert (await confirm(graphql, confirm_token))["errors"] == []
    assert await erase_after(runtime, runtime.settings.account_erasure_grace) == 1

    assert await runtime.files.get(key) is None
    kept = await LegalDisclosure.get(user_id=erin.user.id)
    assert (kept.legal_reference, kept.authority, kept.file_key) == (REFERENCE, AUTHORITY, None)
    assert (await fetch(http, path_of(entry), staff.token))[0] == 404
    again = await create(graphql, staff, asking(erin, "CONTACT"))
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("userId", "NOT_FOUND")]

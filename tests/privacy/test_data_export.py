"""Data export (P2): a copy of everything the registry exports of a user, built in the
background, served to that user's session alone for a day, then deleted."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient
from strawberry.relay import to_base64

from app.sessions import SESSION_COOKIE
from app.tasks import BackgroundWork
from core import clock
from core.runtime import Runtime
from models.accounts import StaffPermission
from models.audit import AuditAction, AuditEntry
from models.exports import DataExport, ExportStatus
from models.marketplace import (
    Attribution,
    Job,
    JobStatus,
    MentorProfile,
    Post,
    PostLike,
    PostStatus,
    Testimonial,
)
from services.access.policy import Audience, Export, ModelPrivacy
from services.access.registry import REGISTRY
from services.privacy import exports
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.notifying import notify_in_a_request
from tests.support.smtp import Mailbox
from tests.support.users import PASSWORD, SignedIn, UserFactory

pytestmark = pytest.mark.promise("P2")

REQUEST = document("RequestDataExport")
EXPORTS = document("DataExports")
NOTIFICATIONS = document("Notifications")
LOG_IN = document("LogIn")
SET_CONSENT = document("SetConsent")
RECORD = document("RecordInteraction")
PHOTO = b"\x89PNG\r\n\x1a\n" + b"erin's face" * 50


def worker(runtime: Runtime) -> BackgroundWork:
    assert isinstance(runtime.outbox, BackgroundWork)
    return runtime.outbox


@pytest.fixture
def worker_held(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No worker builds exports on its own (neither the woken task nor the sweep), so a test
    sees them PENDING until it builds them itself."""

    async def held() -> int:
        return 0

    monkeypatch.setattr(worker(runtime), "build_exports", held)
    yield


@dataclass
class Seeded:
    erin: SignedIn
    oscar: SignedIn
    liked: Post
    job_as_client: Job
    job_as_mentor: Job
    written: Testimonial
    received: Testimonial


async def seed(users: UserFactory, runtime: Runtime, graphql: GraphQLClient) -> Seeded:
    """Erin has done a bit of everything; Oscar is the other party of each."""
    erin = await users.create("Erin Exporter", email="erin@example.com")
    oscar = await users.create("Oscar Otherperson", email="oscar@example.com")
    erin.user.photo_key = await runtime.files.put(PHOTO, suffix=".png")
    erin.user.bio = "Erin bakes sourdough"
    await erin.user.save()
    await MentorProfile.create(user=erin.user, headline="Exports explained", expertise=["zip"])
    for n in (1, 2):
        await Post.create(author=erin.user, title=f"Erin writes {n}", body="b")
    liked = await Post.create(
        author=oscar.user,
        title="Oscar's secret title",
        body="b",
        status=PostStatus.PUBLISHED,
        published_at=clock.now(),
    )
    await PostLike.create(user=erin.user, post=liked)
    done = {"status": JobStatus.COMPLETED}
    job_as_client = await Job.create(
        client=erin.user, mentor=oscar.user, description="Help with zip", **done
    )
    job_as_mentor = await Job.create(
        client=oscar.user, mentor=erin.user, description="Teach me json", **done
    )
    written = await Testimonial.create(
        job=job_as_client, author=erin.user, mentor=oscar.user, rating=5, text="Erin thanks"
    )
    received = await Testimonial.create(
        job=job_as_mentor,
        author=oscar.user,
        mentor=erin.user,
        rating=4,
        text="Patient mentor",
        profile_attribution=Attribution.ANONYMOUS,
    )
    consent = {"input": {"purpose": "ANALYTICS", "granted": True}}
    await graphql.data(SET_CONSENT, consent, token=erin.token)
    page_view = {"input": {"kind": "PAGE_VIEW", "path": "/mentors"}}
    await graphql.data(RECORD, page_view, token=erin.token)
    await notify_in_a_request(runtime, erin.user, job_as_client)
    login = {"input": {"email": erin.user.email, "password": PASSWORD}}
    assert (await graphql.data(LOG_IN, login))["logIn"]["errors"] == []
    return Seeded(erin, oscar, liked, job_as_client, job_as_mentor, written, received)


async def request(graphql: GraphQLClient, who: SignedIn) -> dict[str, Any]:
    body = await graphql.data(REQUEST, token=who.token)
    assert body["requestDataExport"]["errors"] == []
    export: dict[str, Any] = body["requestDataExport"]["export"]
    return export


async def listed(graphql: GraphQLClient, who: SignedIn) -> list[dict[str, Any]]:
    found = (await graphql.data(EXPORTS, token=who.token))["me"]["dataExports"]
    return [edge["node"] for edge in found["edges"]]


def path_of(download_url: str) -> str:
    return urlsplit(download_url).path


def exportable(privacy: ModelPrivacy) -> set[str]:
    """What the registry says an export carries of a model: computed here, from the registry
    itself, so that a field added to it later must appear in the archive."""
    omitted = {name for name, rule in privacy.personal.items() if rule.export is Export.OMIT}
    declared = {*privacy.not_personal, *privacy.restricted, *privacy.personal}
    return declared - omitted


def readable_by_owner(privacy: ModelPrivacy) -> set[str]:
    """Of those, what the owner reads on their own rows."""
    hidden = {
        name
        for name, rule in privacy.read_rules.items()
        if not rule.audience & {Audience.OWNER, Audience.PUBLIC}
    }
    return exportable(privacy) - hidden


def unzipped(archive: bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    opened = zipfile.ZipFile(io.BytesIO(archive))
    data: dict[str, Any] = json.loads(opened.read("data.json"))
    return data, opened


def rows(data: dict[str, Any], model: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data["models"][model]["rows"]
    return found


async def test_the_archive_holds_every_exportable_field_of_the_users_data_and_nobody_elses(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    http: TestClient[Any, Any],
    mailbox: Mailbox,
) -> None:
    given = await seed(users, runtime, graphql)
    erin = given.erin
    requested = await request(graphql, erin)
    assert requested["status"] in ("PENDING", "BUILDING", "READY")

    await worker(runtime).build_exports()  # what the woken task does; waits for one under way

    (ready,) = await listed(graphql, erin)
    assert (ready["id"], ready["status"]) == (requested["id"], "READY")
    assert ready["expiresAt"] is not None and ready["sizeBytes"] > 0
    url = path_of(ready["downloadUrl"])
    by_cookie = await http.get(url, headers={"Cookie": f"{SESSION_COOKIE}={erin.token}"})
    by_bearer = await http.get(url, headers={"Authorization": f"Bearer {erin.token}"})
    for response in (by_cookie, by_bearer):
        assert response.status == 200
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert response.headers["Cache-Control"] == "private, no-store"
        assert response.content_type == "application/zip"
    archive = await by_cookie.read()
    assert archive == await by_bearer.read()
    assert len(archive) == ready["sizeBytes"]
    data, opened = unzipped(archive)

    # Every model with an owner, every exportable field, each with its registry category.
    owned = {model: privacy for model, privacy in REGISTRY.items() if privacy.owner}
    assert {name: set(entry["fields"]) for name, entry in data["models"].items()} == {
        model.__name__: exportable(privacy) for model, privacy in owned.items()
    }
    checked = set()
    for model, privacy in owned.items():
        for name, category in data["models"][model.__name__]["fields"].items():
            rule = privacy.personal.get(name)
            assert category == (rule.category.value if rule else None), (model, name)
        assert privacy.owner is not None
        owner_key = privacy.owner.removesuffix("_id")
        for row in rows(data, model.__name__):
            if row.get(owner_key) == erin.user.id:  # the user's own, not a counterparty's
                assert set(row) == readable_by_owner(privacy), model.__name__
                checked.add(model.__name__)
    assert checked >= {
        *("User", "MentorProfile", "Post", "PostLike", "Job", "Testimonial", "ConsentRecord"),
        *("Notification", "Session", "AuditEntry", "OutboxEmail", "DataExport", "Interaction"),
    }

    # The user's own values.
    (user_row,) = rows(data, "User")
    assert (user_row["email"], user_row["name"]) == ("erin@example.com", "Erin Exporter")
    assert user_row["bio"] == "Erin bakes sourdough"
    assert opened.read(user_row["photo_key"]) == PHOTO
    assert "password_hash" not in user_row
    assert [row["headline"] for row in rows(data, "MentorProfile")] == ["Exports explained"]
    assert [row["title"] for row in rows(data, "Post")] == ["Erin writes 1", "Erin writes 2"]
    assert [row["post"] for row in rows(data, "PostLike")] == [given.liked.id]
    assert {row["id"] for row in rows(data, "Job")} == {
        given.job_as_client.id,
        given.job_as_mentor.id,
    }
    testimonials = {row["id"]: row for row in rows(data, "Testimonial")}
    assert testimonials[given.written.id]["author"] == erin.user.id
    assert testimonials[given.written.id]["text"] == "Erin thanks"
    # Received anonymously: what the mentor sees of it, and not who wrote it.
    about_erin = testimonials[given.received.id]
    assert (about_erin["text"], about_erin["rating"]) == ("Patient mentor", 4)
    assert not {"author", "profile_attribution", "hidden_at"} & set(about_erin)
    consents = rows(data, "ConsentRecord")
    assert [(c["purpose"], c["granted"]) for c in consents] == [("ANALYTICS", True)]
    assert [row["path"] for row in rows(data, "Interaction")] == ["/mentors"]
    assert [row["kind"] for row in rows(data, "Notification")] == ["JOB_ACCEPTED"]
    assert len(rows(data, "Session")) == 2 and "token_hash" not in rows(data, "Session")[0]
    actions = {row["action"] for row in rows(data, "AuditEntry")}
    assert {"LOGIN", "DATA_EXPORT_REQUESTED"} <= actions
    assert [row["status"] for row in rows(data, "DataExport")] == ["BUILDING"]
    assert "README.txt" in opened.namelist()

    # Nothing of anyone else's.
    text = opened.read("data.json").decode()
    for foreign in ("oscar@example.com", "Oscar Otherperson", "Oscar's secret title"):
        assert foreign not in text

    # Notified in the app and by mail.
    notes = (await graphql.data(NOTIFICATIONS, token=erin.token))["notifications"]["edges"]
    assert notes[0]["node"]["kind"] == "DATA_EXPORT_READY"
    await mailbox.wait_for("erin@example.com", "Your data export is ready")

    # Each request, build and download is audited.
    audited = await AuditEntry.filter(subject_id=erin.user.id).values_list("action", flat=True)
    assert sorted(a for a in audited if a.startswith("DATA_EXPORT")) == [
        AuditAction.DATA_EXPORT_BUILT,
        AuditAction.DATA_EXPORT_DOWNLOADED,
        AuditAction.DATA_EXPORT_DOWNLOADED,
        AuditAction.DATA_EXPORT_REQUESTED,
    ]


async def test_only_the_owners_session_downloads_it_and_never_after_it_expired(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, http: TestClient[Any, Any]
) -> None:
    erin, oscar = await users.create("Erin"), await users.create("Oscar")
    exported = await request(graphql, erin)
    await worker(runtime).build_exports()
    (ready,) = await listed(graphql, erin)
    url = path_of(ready["downloadUrl"])
    export = await DataExport.filter(user_id=erin.user.id).get()
    assert to_base64("DataExport", export.id) == exported["id"]
    assert export.file_key and await runtime.files.get(export.file_key) is not None

    async def answer(path: str, **headers: str) -> tuple[int, bytes]:
        response = await http.get(path, headers=headers)
        return response.status, await response.read()

    as_erin = {"Authorization": f"Bearer {erin.token}"}
    assert (await answer(url, **as_erin))[0] == 200
    refused = [
        await answer(url),
        await answer(url, Authorization=f"Bearer {oscar.token}"),
        await answer(url, Cookie=f"{SESSION_COOKIE}={oscar.token}"),
        await answer(url, Authorization="Bearer not-a-session"),
        await answer(f"/exports/{to_base64('DataExport', export.id + 1000)}", **as_erin),
        await answer(f"/exports/{to_base64('Post', export.id)}", **as_erin),
        await answer("/exports/not-an-id", **as_erin),
    ]
    assert len(set(refused)) == 1 and refused[0][0] == 404

    with clock.moved_clock(runtime.settings.data_export_lifetime + timedelta(minutes=1)):
        assert await answer(url, **as_erin) == refused[0]
        assert await worker(runtime).expire_exports() == 1
        assert await runtime.files.get(export.file_key) is None
        (expired,) = await listed(graphql, erin)
        assert (expired["status"], expired["downloadUrl"]) == ("EXPIRED", None)
        assert await answer(url, **as_erin) == refused[0]
    downloads = await AuditEntry.filter(action=AuditAction.DATA_EXPORT_DOWNLOADED).count()
    assert downloads == 1


async def test_an_export_on_its_way_is_answered_again_and_one_a_day_is_the_limit(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, worker_held: None
) -> None:
    erin = await users.create("Erin")
    first = await request(graphql, erin)
    assert first["status"] == "PENDING" and first["downloadUrl"] is None
    assert await request(graphql, erin) == first
    not_ready = await graphql.http.get(
        f"/exports/{first['id']}", headers={"Authorization": f"Bearer {erin.token}"}
    )
    assert not_ready.status == 404

    assert await exports.build_pending(runtime) == 1
    refused = await graphql(REQUEST, token=erin.token)
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert 0 < refused["errors"][0]["extensions"]["retryAfter"] <= 24 * 3600
    assert await DataExport.filter(user_id=erin.user.id).count() == 1
    assert await AuditEntry.filter(action=AuditAction.DATA_EXPORT_REQUESTED).count() == 1

    with clock.moved_clock(runtime.settings.data_export_interval + timedelta(minutes=1)):
        again = await request(graphql, erin)
    assert again["id"] != first["id"] and again["status"] == "PENDING"


async def test_an_anonymous_caller_cannot_request_one(graphql: GraphQLClient) -> None:
    assert error_codes(await graphql(REQUEST)) == ["UNAUTHENTICATED"]


async def test_a_build_left_half_done_is_finished_by_the_sweep_and_never_rebuilt(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, worker_held: None
) -> None:
    erin = await users.create("Erin")
    await request(graphql, erin)
    export = await DataExport.filter(user_id=erin.user.id).get()
    await DataExport.filter(id=export.id).update(status=ExportStatus.BUILDING)  # a crash

    assert await exports.build_pending(runtime) == 1
    await export.refresh_from_db()
    assert export.status is ExportStatus.READY
    assert await exports.build_export(runtime, export.id) is False
    kept = export.file_key
    await export.refresh_from_db()
    assert export.file_key == kept
    assert await AuditEntry.filter(action=AuditAction.DATA_EXPORT_BUILT).count() == 1


async def test_of_two_workers_building_one_export_one_keeps_its_archive(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime, worker_held: None
) -> None:
    """No file is left that no export names: the second to finish deletes its own."""
    erin = await users.create("Erin")
    await request(graphql, erin)
    export = await DataExport.filter(user_id=erin.user.id).get()
    archives = runtime.settings.file_store_dir
    before = set(archives.glob("*.zip"))

    built = await asyncio.gather(*(exports.build_export(runtime, export.id) for _ in range(2)))

    assert sorted(built) == [False, True]
    await export.refresh_from_db()
    assert {path.name for path in set(archives.glob("*.zip")) - before} == {export.file_key}


async def test_a_failed_build_does_not_count_against_the_daily_limit(
    graphql: GraphQLClient,
    users: UserFactory,
    runtime: Runtime,
    worker_held: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    erin = await users.create("Erin")
    await request(graphql, erin)

    async def store_down(data: bytes, *, suffix: str) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(runtime.files, "put", store_down)
    assert await exports.build_pending(runtime) == 0
    monkeypatch.undo()
    assert [e["status"] for e in await listed(graphql, erin)] == ["FAILED"]
    assert (await request(graphql, erin))["status"] == "PENDING"


async def test_a_staff_members_export_holds_what_they_see_as_a_person(
    graphql: GraphQLClient, users: UserFactory, runtime: Runtime
) -> None:
    """A moderator reads who wrote an anonymous testimonial at work; their own copy of a
    testimonial about them leaves the author out, as for any mentor."""
    author = await users.create("Ann Author")
    moderator = await users.create("Mo Mentor", staff=[StaffPermission.MODERATE_CONTENT])
    job = await Job.create(
        client=author.user, mentor=moderator.user, description="d", status=JobStatus.COMPLETED
    )
    await Testimonial.create(
        job=job,
        author=author.user,
        mentor=moderator.user,
        rating=5,
        text="Kind",
        profile_attribution=Attribution.ANONYMOUS,
    )
    await request(graphql, moderator)
    await worker(runtime).build_exports()
    export = await DataExport.filter(user_id=moderator.user.id).get()
    assert export.file_key is not None
    content = await runtime.files.get(export.file_key)
    assert content is not None
    data, _ = unzipped(content)
    (about_them,) = rows(data, "Testimonial")
    assert about_them["text"] == "Kind" and "author" not in about_them
    assert await AuditEntry.filter(action=AuditAction.PII_READ).count() == 0

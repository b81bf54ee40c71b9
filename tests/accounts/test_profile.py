"""Editing one's profile: every editable personal field, cleared with null, and the photo."""

from __future__ import annotations

import asyncio
import json
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import FormData
from PIL import ExifTags
from PIL.PngImagePlugin import PngInfo

from core.runtime import Runtime
from core.settings import Settings
from models.accounts import User
from tests.support.documents import document
from tests.support.graphql import GraphQLClient, error_codes
from tests.support.images import (
    CAMERA,
    GPS,
    decompression_bomb,
    image_file,
    opened,
    photo_with_gps,
    rgb_pixels,
)
from tests.support.users import SignedIn, UserFactory

UPDATE = document("UpdateProfile")
UPLOAD = document("UploadProfilePhoto")
ME = document("Me")
MEDIA_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Content-Disposition")
REMOVE = "mutation { removeProfilePhoto { user { photoUrl } errors { code } } }"
FULL = {
    "name": "Alice Liddell",
    "timezone": "Europe/London",
    "language": "en-GB",
    "bio": "Curious.",
    "expertise": ["Logic", "croquet", "logic "],
}


def png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of black pixels, built by hand so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def upload(
    graphql: GraphQLClient,
    data: bytes,
    *,
    token: str,
    filename: str = "me.png",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A GraphQL multipart request: operations, map, then the file part."""
    form = FormData()
    form.add_field("operations", json.dumps({"query": UPLOAD, "variables": {"photo": None}}))
    form.add_field("map", json.dumps({"0": ["variables.photo"]}))
    form.add_field("0", data, filename=filename, content_type="application/octet-stream")
    response = await graphql.http.post(
        "/graphql", data=form, headers={"Authorization": f"Bearer {token}", **(headers or {})}
    )
    body: dict[str, Any] = await response.json()
    return body


@pytest.fixture
async def alice(users: UserFactory) -> SignedIn:
    return await users.create("Alice", email="alice@example.com")


@pytest.mark.promise("P3", "P21")
async def test_owner_sets_every_editable_profile_field(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    data = await graphql.data(UPDATE, {"input": FULL}, token=alice.token)
    assert data == {
        "updateProfile": {
            "user": {
                "id": alice.global_id,
                "name": "Alice Liddell",
                "timezone": "Europe/London",
                "language": "en-GB",
                "bio": "Curious.",
                "expertise": ["logic", "croquet"],
            },
            "errors": [],
        }
    }


@pytest.mark.promise("P21")
async def test_only_the_fields_sent_change(graphql: GraphQLClient, alice: SignedIn) -> None:
    await graphql.data(UPDATE, {"input": FULL}, token=alice.token)
    data = await graphql.data(UPDATE, {"input": {"bio": "Very curious."}}, token=alice.token)
    assert data["updateProfile"]["user"] == {
        "id": alice.global_id,
        "name": "Alice Liddell",
        "timezone": "Europe/London",
        "language": "en-GB",
        "bio": "Very curious.",
        "expertise": ["logic", "croquet"],
    }


@pytest.mark.promise("P22")
async def test_null_clears_profile_fields(graphql: GraphQLClient, alice: SignedIn) -> None:
    await graphql.data(UPDATE, {"input": FULL}, token=alice.token)
    cleared = dict.fromkeys(FULL)
    data = await graphql.data(UPDATE, {"input": cleared}, token=alice.token)
    updated = data["updateProfile"]["user"]
    assert updated == {
        "id": alice.global_id,
        "name": "",
        "timezone": None,
        "language": None,
        "bio": None,
        "expertise": [],
    }
    me = (await graphql.data(ME, token=alice.token))["me"]
    assert {field: me[field] for field in updated} == updated


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus_Mons"),
        ("language", "English please"),
        ("expertise", ["x" * 41]),
        ("name", "x" * 121),
    ],
)
async def test_invalid_values_are_payload_errors_on_their_field(
    graphql: GraphQLClient, alice: SignedIn, field: str, value: Any
) -> None:
    data = await graphql.data(UPDATE, {"input": {"bio": "kept?", field: value}}, token=alice.token)
    payload = data["updateProfile"]
    assert payload["user"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, "BAD_USER_INPUT")]
    me = await graphql.data(ME, token=alice.token)
    assert me["me"]["bio"] is None


async def test_anonymous_profile_update_is_unauthenticated(graphql: GraphQLClient) -> None:
    body = await graphql(UPDATE, {"input": {"name": "Nobody"}})
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


@pytest.mark.promise("P21")
async def test_uploaded_photo_is_served_at_its_url(graphql: GraphQLClient, alice: SignedIn) -> None:
    image = png(4, 3)
    body = await upload(graphql, image, token=alice.token)
    payload = body["data"]["uploadProfilePhoto"]
    assert payload["errors"] == []
    photo_url = payload["user"]["photoUrl"]
    assert photo_url.endswith(".png")

    served = await graphql.http.get(urlsplit(photo_url).path)
    assert served.status == 200
    assert served.content_type == "image/png"
    assert rgb_pixels(await served.read()) == rgb_pixels(image)
    assert {name: served.headers[name] for name in MEDIA_HEADERS} == {
        "Content-Security-Policy": "default-src 'none'",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }


async def test_a_png_header_followed_by_html_is_refused(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    """The issue's reproducer: the first bytes of a PNG prove nothing; Pillow must decode it."""
    content = b"\x89PNG\r\n\x1a\n<html><script>fetch('/graphql')</script></html>"
    body = await upload(graphql, content, token=alice.token)
    assert body["data"]["uploadProfilePhoto"]["errors"] == [
        {"field": "photo", "code": "BAD_USER_INPUT", "message": "Upload a PNG, JPEG or WebP image."}
    ]
    assert (await graphql.data(ME, token=alice.token))["me"]["photoUrl"] is None


async def test_a_truncated_image_is_refused(graphql: GraphQLClient, alice: SignedIn) -> None:
    whole = image_file("JPEG", (64, 64))
    body = await upload(graphql, whole[: len(whole) // 2], token=alice.token)
    errors = body["data"]["uploadProfilePhoto"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("photo", "BAD_USER_INPUT")]


async def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    """A few kilobytes of PNG that would decode to 30 million pixels (a decompression bomb)."""
    bomb = decompression_bomb((6000, 5000))
    assert len(bomb) < 10_000
    body = await upload(graphql, bomb, token=alice.token)
    assert body["data"]["uploadProfilePhoto"]["errors"] == [
        {"field": "photo", "code": "BAD_USER_INPUT", "message": "Upload at most 25 megapixels."}
    ]


async def test_a_phone_photo_is_stored_without_its_gps_position(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    photo = photo_with_gps()
    assert opened(photo).getexif().get_ifd(ExifTags.IFD.GPSInfo) == GPS
    body = await upload(graphql, photo, token=alice.token, filename="IMG_0001.jpg")
    photo_url = body["data"]["uploadProfilePhoto"]["user"]["photoUrl"]
    assert photo_url.endswith(".jpg")

    served = await graphql.http.get(urlsplit(photo_url).path)
    data = await served.read()
    assert served.content_type == "image/jpeg"
    stored = opened(data)
    assert (stored.format, stored.size) == ("JPEG", (8, 6))
    assert not stored.getexif() and "exif" not in stored.info
    assert b"Exif" not in data and CAMERA.encode() not in data


async def test_a_png_is_stored_without_its_text_chunks(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    chunks = PngInfo()
    chunks.add_text("Author", "Alice Liddell, 12 Wonderland Road")
    image = image_file("PNG", (5, 4), mode="RGBA", pnginfo=chunks)
    body = await upload(graphql, image, token=alice.token)
    photo_url = body["data"]["uploadProfilePhoto"]["user"]["photoUrl"]

    data = await (await graphql.http.get(urlsplit(photo_url).path)).read()
    stored = opened(data)
    assert (stored.format, stored.mode) == ("PNG", "RGBA")
    assert list(stored.get_flattened_data()) == list(opened(image).get_flattened_data())
    assert b"Wonderland" not in data and "Author" not in stored.info


async def test_a_stored_file_that_is_not_our_image_downloads_instead_of_showing(
    graphql: GraphQLClient, runtime: Runtime
) -> None:
    """A file kept before uploads were re-encoded: never rendered in the site's origin."""
    key = await runtime.files.put(b"<html><script>steal()</script></html>", suffix=".html")
    try:
        served = await graphql.http.get(f"/media/{key}")
        assert served.status == 200
        assert {name: served.headers[name] for name in MEDIA_HEADERS} == {
            "Content-Security-Policy": "default-src 'none'",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": "attachment",
        }
    finally:
        await runtime.files.delete(key)


@pytest.mark.parametrize(
    ("content", "filename"),
    [(b"just some text, not an image", "me.png"), (b"", "empty.png")],
    ids=["text", "empty"],
)
async def test_a_file_that_is_not_an_image_is_refused(
    graphql: GraphQLClient, alice: SignedIn, content: bytes, filename: str
) -> None:
    body = await upload(graphql, content, token=alice.token, filename=filename)
    errors = body["data"]["uploadProfilePhoto"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("photo", "BAD_USER_INPUT")]
    assert (await graphql.data(ME, token=alice.token))["me"]["photoUrl"] is None


async def test_an_over_size_photo_is_refused(
    graphql: GraphQLClient, alice: SignedIn, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = png(64, 64)
    monkeypatch.setattr(
        runtime, "settings", runtime.settings.with_overrides(max_upload_bytes=len(image) - 1)
    )
    body = await upload(graphql, image, token=alice.token)
    errors = body["data"]["uploadProfilePhoto"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("photo", "BAD_USER_INPUT")]


async def test_a_cookie_upload_without_the_csrf_header_is_refused(
    graphql: GraphQLClient, alice: SignedIn
) -> None:
    form = FormData()
    form.add_field("operations", json.dumps({"query": UPLOAD, "variables": {"photo": None}}))
    form.add_field("map", json.dumps({"0": ["variables.photo"]}))
    form.add_field("0", png(), filename="me.png")
    response = await graphql.http.post(
        "/graphql", data=form, headers={"Cookie": f"mentor_session={alice.token}"}
    )
    assert error_codes(await response.json()) == ["FORBIDDEN"]


@pytest.mark.promise("P22")
async def test_replacing_and_removing_the_photo_deletes_the_files(
    graphql: GraphQLClient, alice: SignedIn, runtime: Runtime
) -> None:
    first = await upload(graphql, png(1, 1), token=alice.token)
    first_url = first["data"]["uploadProfilePhoto"]["user"]["photoUrl"]
    second = await upload(graphql, png(2, 2), token=alice.token)
    second_url = second["data"]["uploadProfilePhoto"]["user"]["photoUrl"]
    assert second_url != first_url
    assert (await graphql.http.get(urlsplit(first_url).path)).status == 404

    removed = await graphql.data(REMOVE, token=alice.token)
    assert removed == {"removeProfilePhoto": {"user": {"photoUrl": None}, "errors": []}}
    assert (await graphql.http.get(urlsplit(second_url).path)).status == 404
    assert await runtime.files.get(urlsplit(second_url).path.rsplit("/", 1)[1]) is None


@pytest.mark.promise("P22")
async def test_photos_uploaded_at_once_leave_only_the_current_file(
    graphql: GraphQLClient, alice: SignedIn, runtime: Runtime
) -> None:
    bodies = await asyncio.gather(
        *(upload(graphql, png(size, size), token=alice.token) for size in (1, 2, 3))
    )
    keys = [
        urlsplit(b["data"]["uploadProfilePhoto"]["user"]["photoUrl"]).path.rsplit("/", 1)[1]
        for b in bodies
    ]
    current = (await User.get(id=alice.user.id)).photo_key
    assert current in keys
    stored = [key for key in keys if await runtime.files.get(key) is not None]
    assert stored == [current]


async def test_a_multipart_body_over_the_limit_or_unsized_is_refused_before_it_is_read(
    graphql: GraphQLClient, settings: Settings
) -> None:
    form = FormData()
    form.add_field("operations", json.dumps({"query": UPLOAD, "variables": {"photo": None}}))
    form.add_field("map", json.dumps({"0": ["variables.photo"]}))
    for part in range(2):  # each part under the limit, together over it
        filler = b"\x00" * (settings.max_upload_bytes // 2 + 64 * 1024)
        form.add_field(str(part), filler, filename=f"{part}.png")
    response = await graphql.http.post("/graphql", data=form)
    assert response.status == 413

    async def unsized() -> AsyncIterator[bytes]:
        yield b"--x\r\n"

    chunked = await graphql.http.post(
        "/graphql", data=unsized(), headers={"Content-Type": "multipart/form-data; boundary=x"}
    )
    assert chunked.status == 411

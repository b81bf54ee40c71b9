"""The provider's profile picture (P8, P9): fetched into the profile photo when sent and the
profile has none, recorded with its source; refused, without failing the log-in, when it is
not from the provider's picture hosts, not an image or too big. The pictures are served by
the loopback peers, allowed through the same setting production uses
(``http://127.0.0.1`` among the provider's picture hosts)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from app.pictures import CheckedResolver, HttpPictures
from app.sessions import SESSION_COOKIE
from core.runtime import FetchRefused, Runtime
from core.settings import OIDC_BACKEND, Settings, SocialProvider
from models.accounts import User
from models.social import ImportedField, SocialImport
from services.images import reencoded
from services.profiles import set_profile_photo
from services.social import photos
from tests.accounts.test_social_login import browser
from tests.accounts.test_social_providers import BACKENDS, NEXT, endpoints, through_the_provider
from tests.support.graphql import GraphQLClient
from tests.support.images import image_file, opened, photo_with_gps
from tests.support.oauth_peers import Identity, ProviderPeer, kinds, running_provider_peer
from tests.support.oidc_provider import OidcProvider, running_oidc_provider
from tests.support.users import UserFactory

pytestmark = [pytest.mark.promise("P8"), pytest.mark.promise("P9")]

# A phone's photo with its GPS position: stored re-encoded, without its metadata.
PHOTO = photo_with_gps()
STORED_PHOTO = reencoded(PHOTO).data
OTHER_PHOTO = image_file("PNG", (3, 3))
ME = """query { me { email photoUrl socialAccounts { provider importedFields { field } } } }"""
LOOPBACK = ("http://127.0.0.1",)


def configure(runtime: Runtime, peer: ProviderPeer, hosts: tuple[str, ...]) -> SocialProvider:
    backend = BACKENDS[peer.kind]
    provider = SocialProvider(
        name=backend,
        backend=backend,
        title=peer.kind,
        client_id=peer.client_id,
        client_secret=peer.client_secret,
        endpoints=endpoints(peer),
        picture_hosts=hosts,
    )
    runtime.settings = runtime.settings.with_overrides(social_providers=(provider,))
    return provider


@pytest.fixture
async def settings_back(runtime: Runtime) -> AsyncIterator[None]:
    before = runtime.settings
    yield
    runtime.settings = before


@pytest.fixture
async def provider(runtime: Runtime, peer: ProviderPeer, settings_back: None) -> SocialProvider:
    """The peer as a provider whose pictures may come from the loopback peers."""
    return configure(runtime, peer, LOOPBACK)


def imported(me: dict[str, Any]) -> list[str]:
    return [f["field"] for account in me["socialAccounts"] for f in account["importedFields"]]


async def media(http: TestClient[Any, Any], photo_url: str) -> bytes:
    response = await http.get(photo_url.removeprefix("http://127.0.0.1:8000"))
    assert response.status == 200
    return await response.read()


@kinds("google", "github")
async def test_a_sent_picture_becomes_the_new_accounts_photo_with_its_source(
    http: TestClient[Any, Any], graphql: GraphQLClient, peer: ProviderPeer, provider: Any
) -> None:
    picture = peer.serve_avatar("pat.png", PHOTO)
    peer.sign_in_as(
        Identity(uid="4242", email="pat@example.org", email_verified=True, picture=picture)
    )
    cookies: dict[str, str] = {}
    assert await through_the_provider(http, provider, cookies) == NEXT
    me = (await graphql.data(ME, token=cookies[SESSION_COOKIE]))["me"]
    assert imported(me) == ["EMAIL", "PHOTO"]
    assert me["photoUrl"] is not None and await media(http, me["photoUrl"]) == STORED_PHOTO
    assert not opened(STORED_PHOTO).getexif()
    user = await User.get(email="pat@example.org")
    [record] = await SocialImport.filter(user_id=user.id, field=ImportedField.PHOTO)
    assert record.provider == provider.name and record.imported_at is not None

    # Logging in again fetches nothing more.
    assert await through_the_provider(http, provider, {}) == NEXT
    assert peer.avatar_requests == ["pat.png"]


@kinds("twitter")
async def test_linking_imports_the_picture_into_an_account_without_photo(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    peer: ProviderPeer,
    provider: Any,
    users: UserFactory,
) -> None:
    picture = peer.serve_avatar("quinn_normal.png", PHOTO)
    peer.sign_in_as(Identity(uid="77", name="Quinn", username="quinn", picture=picture))
    owner = await users.create(email="quinn@example.org", name="Quinn Q")
    assert await through_the_provider(http, provider, {SESSION_COOKIE: owner.token}) == NEXT
    me = (await graphql.data(ME, token=owner.token))["me"]
    assert imported(me) == ["PHOTO"]
    assert await media(http, me["photoUrl"]) == STORED_PHOTO


@kinds("google", "github", "twitter")
async def test_no_picture_sent_means_no_photo_and_no_record(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    peer: ProviderPeer,
    provider: Any,
    users: UserFactory,
) -> None:
    peer.serve_avatar("unused.png", PHOTO)
    peer.sign_in_as(
        Identity(uid="9", email="noa@example.org", email_verified=True, name="Noa", username="noa")
    )
    owner = await users.create(email="other@example.org")
    assert await through_the_provider(http, provider, {SESSION_COOKIE: owner.token}) == NEXT
    me = (await graphql.data(ME, token=owner.token))["me"]
    assert me["photoUrl"] is None
    assert "PHOTO" not in imported(me)
    assert peer.avatar_requests == []
    assert not await SocialImport.filter(field=ImportedField.PHOTO).exists()


def oversize(peer: ProviderPeer, limit: int) -> str:
    return peer.serve_avatar("big.png", PHOTO[:8] + b"x" * limit)


def oversize_unannounced(peer: ProviderPeer, limit: int) -> str:
    # Chunked, with no Content-Length: the limit is counted while reading.
    return peer.serve_avatar("big.png", PHOTO[:8] + b"x" * limit, chunked=True)


def not_an_image(peer: ProviderPeer, limit: int) -> str:
    return peer.serve_avatar("page.png", b"<html>a login page</html>")


def png_header_then_html(peer: ProviderPeer, limit: int) -> str:
    return peer.serve_avatar("fake.png", b"\x89PNG\r\n\x1a\n<html><script>steal()</script></html>")


def redirected(peer: ProviderPeer, limit: int) -> str:
    target = peer.serve_avatar("pat.png", PHOTO)
    return peer.serve_avatar("moved.png", b"", status=302, headers={"Location": target})


def missing(peer: ProviderPeer, limit: int) -> str:
    return f"{peer.base_url}/avatars/gone.png"


@kinds("github")
@pytest.mark.parametrize(
    ("served", "reason"),
    [
        (oversize, "over the size limit"),
        (oversize_unannounced, "over the size limit"),
        (not_an_image, "not a PNG, JPEG or WebP image"),
        (png_header_then_html, "not a PNG, JPEG or WebP image"),
        (redirected, "answered 302"),
        (missing, "answered 404"),
    ],
)
async def test_a_refused_picture_leaves_no_photo_and_the_login_succeeds(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    runtime: Runtime,
    peer: ProviderPeer,
    provider: Any,
    served: Any,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    limit = 1024
    runtime.settings = runtime.settings.with_overrides(max_upload_bytes=limit)
    picture = served(peer, limit) + "?sig=s3cr3t-signature"
    peer.sign_in_as(
        Identity(uid="5", email="ray@example.org", email_verified=True, picture=picture)
    )
    cookies: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="mentor_api.social"):
        assert await through_the_provider(http, provider, cookies) == NEXT
    me = (await graphql.data(ME, token=cookies[SESSION_COOKIE]))["me"]
    assert me["photoUrl"] is None
    assert imported(me) == ["EMAIL"]
    assert peer.avatar_requests[-1] != "pat.png"  # the redirect was not followed
    warning = caplog.text
    assert f"from {provider.name} not imported: the picture" in warning and reason in warning
    assert "s3cr3t" not in warning and "ray@example.org" not in warning
    assert "127.0.0.1" not in warning


@kinds("google")
@pytest.mark.parametrize(
    ("hosts", "reason"),
    [
        ((), "host is not allowed"),  # the default, *.googleusercontent.com
        (("127.0.0.1",), "not https"),  # the right address, but https only
        # Another name, resolving to loopback, which only an address listed itself allows.
        (("http://localhost",), "resolves to a non-public address"),
        (("http://*.googleusercontent.com",), "host is not allowed"),
    ],
)
async def test_a_picture_from_a_host_not_allowed_is_not_fetched(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    runtime: Runtime,
    peer: ProviderPeer,
    settings_back: None,
    hosts: tuple[str, ...],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = configure(runtime, peer, hosts)
    picture = peer.serve_avatar("pat.png", PHOTO)
    if hosts == ("http://localhost",):
        picture = picture.replace("127.0.0.1", "localhost")
    peer.sign_in_as(
        Identity(uid="6", email="sam@example.org", email_verified=True, picture=picture)
    )
    cookies: dict[str, str] = {}
    with caplog.at_level(logging.WARNING, logger="mentor_api.social"):
        assert await through_the_provider(http, provider, cookies) == NEXT
    assert reason in caplog.text
    me = (await graphql.data(ME, token=cookies[SESSION_COOKIE]))["me"]
    assert me["photoUrl"] is None and imported(me) == ["EMAIL"]
    assert peer.avatar_requests == []


@kinds("github")
async def test_an_account_with_a_photo_keeps_it(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    runtime: Runtime,
    peer: ProviderPeer,
    provider: Any,
    users: UserFactory,
) -> None:
    owner = await users.create(email="kim@example.org")
    await set_profile_photo(runtime, owner.user, OTHER_PHOTO)
    picture = peer.serve_avatar("kim.png", PHOTO)
    peer.sign_in_as(Identity(uid="8", name="Kim", picture=picture))
    assert await through_the_provider(http, provider, {SESSION_COOKIE: owner.token}) == NEXT
    me = (await graphql.data(ME, token=owner.token))["me"]
    assert await media(http, me["photoUrl"]) == reencoded(OTHER_PHOTO).data
    assert "PHOTO" not in imported(me)
    assert peer.avatar_requests == []


@pytest.fixture(scope="module")
def oidc() -> Iterator[OidcProvider]:
    with running_oidc_provider() as provider:
        yield provider


async def test_an_openid_connect_picture_claim_is_imported(
    http: TestClient[Any, Any],
    graphql: GraphQLClient,
    runtime: Runtime,
    oidc: OidcProvider,
    settings_back: None,
) -> None:
    provider = SocialProvider(
        name="acme",
        backend=OIDC_BACKEND,
        title="Acme ID",
        client_id="mentor-api",
        client_secret="mentor-secret",
        issuer=oidc.issuer,
        picture_hosts=LOOPBACK,
    )
    runtime.settings = runtime.settings.with_overrides(social_providers=(provider,))
    async with running_provider_peer("github") as cdn:
        picture = cdn.serve_avatar("ada.png", PHOTO)
        claims = {"email": "ada@example.org", "email_verified": True, "picture": picture}
        await oidc.set_user("ada-photo", claims)
        signed_in = browser(http, oidc)
        assert await signed_in.log_in_as("ada-photo") == "http://127.0.0.1:8000/welcome"
    me = (await graphql.data(ME, token=signed_in.cookies[SESSION_COOKIE]))["me"]
    assert imported(me) == ["EMAIL", "PHOTO"]
    assert await media(http, me["photoUrl"]) == STORED_PHOTO


def provider_with(backend: str, hosts: tuple[str, ...] = (), issuer: str | None = None) -> Any:
    return SocialProvider(backend, backend, backend, "id", "secret", issuer, (), hosts)


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        (provider_with("github"), "https://evil.example/a.png"),
        (provider_with("github"), "http://avatars.githubusercontent.com/u/1"),  # https only
        (provider_with("github"), "https://user:pw@avatars.githubusercontent.com/u/1"),
        (provider_with("github"), "https://avatars.githubusercontent.com:bad/u/1"),
        (provider_with("google-oauth2"), "https://googleusercontent.com.evil.example/a"),
        (provider_with("google-oauth2"), "https://evilgoogleusercontent.com/a"),
        (provider_with("twitter-oauth2"), "https://10.0.0.7/a.png"),
        (provider_with("github", ("http://*.internal",)), "http://10.0.0.7/a.png"),
        (provider_with("github", ("169.254.169.254",)), "https://169.254.169.254.nip.io/"),
        (provider_with(OIDC_BACKEND, issuer="https://id.acme.example"), "https://cdn.example/a"),
    ],
)
def test_picture_urls_outside_the_rules_are_refused(provider: SocialProvider, url: str) -> None:
    with pytest.raises(FetchRefused):
        photos.checked_url(provider, url)


@pytest.mark.parametrize(
    ("provider", "url"),
    [
        (provider_with("google-oauth2"), "https://lh3.googleusercontent.com/a/x=s96-c"),
        (provider_with("github"), "https://avatars.githubusercontent.com/u/1?v=4"),
        (provider_with("twitter-oauth2"), "https://pbs.twimg.com/profile_images/1/a.jpg"),
        (
            provider_with(OIDC_BACKEND, issuer="https://id.acme.example"),
            "https://id.acme.example/p",
        ),
        (provider_with("github", ("http://127.0.0.1",)), "http://127.0.0.1:9999/a.png"),
    ],
)
def test_picture_urls_within_the_rules_pass(provider: SocialProvider, url: str) -> None:
    photos.checked_url(provider, url)


async def test_a_name_resolving_to_a_private_address_is_refused_at_connection() -> None:
    allowed = photos.addresses_allowed(photos.rules_of(provider_with("github", ("localhost",))))
    resolver = CheckedResolver(allowed)
    with pytest.raises(FetchRefused, match="non-public"):
        await resolver.resolve("localhost", 80)
    await resolver.close()


@pytest.mark.parametrize(
    ("provider", "address", "allowed"),
    [
        (provider_with("github"), "140.82.121.6", True),
        (provider_with("github"), "10.0.0.7", False),
        (provider_with("github"), "169.254.169.254", False),
        (provider_with("github"), "::1", False),
        (provider_with("github"), "fe80::1%eth0", False),
        (provider_with("github"), "::ffff:127.0.0.1", False),
        (provider_with("github", ("http://127.0.0.1",)), "127.0.0.1", True),
        (provider_with("github", ("http://127.0.0.1",)), "127.0.0.2", False),
        # An issuer on a private address is its picture host only when configured so.
        (provider_with(OIDC_BACKEND, issuer="https://10.1.2.3"), "10.1.2.3", False),
        (provider_with(OIDC_BACKEND, ("10.1.2.3",), issuer="https://10.1.2.3"), "10.1.2.3", True),
    ],
)
def test_only_public_or_listed_addresses_are_reached(
    provider: SocialProvider, address: str, allowed: bool
) -> None:
    assert photos.addresses_allowed(photos.rules_of(provider))(address) is allowed


async def test_an_ip_literal_host_is_checked_before_connecting() -> None:
    with pytest.raises(FetchRefused, match="non-public"):
        await HttpPictures().fetch(
            "http://127.0.0.1:9/a.png", address_allowed=lambda address: False, limit=10
        )


def test_picture_hosts_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("MENTOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    for name, value in {
        "GITHUB_CLIENT_ID": "id",
        "GITHUB_CLIENT_SECRET": "secret",
        "GITHUB_PICTURE_HOSTS": "avatars.example, http://127.0.0.1",
        "OIDC_PROVIDERS": "acme",
        "OIDC_ACME_ISSUER": "https://id.acme.example/",
        "OIDC_ACME_CLIENT_ID": "id",
        "OIDC_ACME_CLIENT_SECRET": "secret",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env()
    github, acme = settings.social_provider("github"), settings.social_provider("acme")
    assert github is not None and acme is not None
    assert photos.picture_hosts(github) == ("avatars.example", "http://127.0.0.1")
    assert photos.picture_hosts(acme) == ("id.acme.example",)


async def test_a_picture_host_that_does_not_answer_is_given_up_on() -> None:
    done = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await done.wait()  # accepts, reads nothing, never answers
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(FetchRefused, match="could not be fetched"):
            await HttpPictures(timeout_seconds=0.3).fetch(
                f"http://127.0.0.1:{port}/a.png", address_allowed=lambda address: True, limit=10
            )
        assert asyncio.get_running_loop().time() - started < 2
    finally:
        done.set()
        server.close()
        await server.wait_closed()

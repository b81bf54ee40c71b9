"""GraphiQL as a client developer meets it: served whole by our server, working with no
network, and the cookie session working inside it (log in, then mutate)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import re
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import BrowserContext, Page, Request, Route, WebSocket, expect

from app.graphiql import assets
from app.graphql_view import GraphQLView
from app.keys import RUNTIME
from core.runtime import Runtime
from core.settings import Settings
from models.accounts import User
from resolvers.schema import build_schema
from tests.support.graphql import without_cost
from tests.support.users import PASSWORD, UserFactory

EDITOR = ".graphiql-query-editor .CodeMirror"

ME = "query Me {\n  me {\n    name\n  }\n}"
LOG_IN = (
    "mutation LogIn {\n"
    f'  logIn(input: {{email: "alice@example.com", password: "{PASSWORD}"}}) {{\n'
    "    csrfToken\n    user {\n      name\n    }\n    errors {\n      code\n    }\n  }\n}"
)
RENAME = (
    "mutation Rename {\n"
    '  updateProfile(input: {name: "Alice in GraphiQL"}) {\n'
    "    user {\n      name\n    }\n    errors {\n      code\n    }\n  }\n}"
)
SUBSCRIBE = "subscription OnNotification {\n  notifications {\n    title\n  }\n}"


@pytest.fixture(scope="module", autouse=True)
def graphiql_files(settings: Settings) -> Path:
    root = assets.location(settings.graphiql_assets_dir)
    absent = assets.missing(root)
    if absent:
        pytest.fail(
            f"GraphiQL's files are not in {root} ({', '.join(p.folder for p in absent)}): "
            "run python3 dev.py setup (or mentor-api fetch-graphiql)",
            pytrace=False,
        )
    return root


class Browsing:
    """One page of GraphiQL, with every request outside our server aborted and recorded,
    and every console error and uncaught exception kept."""

    def __init__(self, context: BrowserContext, page: Page, server: str) -> None:
        self.context = context
        self.page = page
        self.server = server
        self.foreign_requests: list[str] = []
        self.console_errors: list[str] = []

    async def start(self) -> None:
        await self.context.route("**/*", self._only_our_server)
        self.page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    async def _only_our_server(self, route: Route) -> None:
        if route.request.url.startswith(self.server + "/"):
            await route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            await route.abort("internetdisconnected")

    async def write(self, document: str) -> None:
        """Put ``document`` in the editor, as typed, and wait until GraphiQL has read it (it
        parses an edit a moment later, and a test is quicker than anyone's typing)."""
        editor = await self.page.wait_for_selector(EDITOR)
        await editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", document)
        await editor.wait_for_element_state("stable")
        await self.page.wait_for_function(
            "([selector, text]) => document.querySelector(selector).CodeMirror.documentAST"
            "?.loc?.source?.body === text",
            arg=[EDITOR, document],
        )

    async def run(self, document: str) -> tuple[dict[str, Any], Request]:
        """Write ``document``, press the run button; the answer and the request."""
        await self.write(document)

        def is_ours(response: Any) -> bool:
            sent = response.request.post_data_json if response.request.method == "POST" else None
            return bool(sent) and sent.get("query") == document

        async with self.page.expect_response(is_ours) as answered:
            await self.page.click(".graphiql-execute-button")
        response = await answered.value
        return without_cost(await response.json()), response.request


@pytest.fixture
async def graphiql(http: TestClient[Any, Any], browser: BrowserContext) -> AsyncIterator[Browsing]:
    server = str(http.make_url("")).rstrip("/")
    browsing = Browsing(browser, await browser.new_page(), server)
    await browsing.start()
    yield browsing


async def test_graphiql_runs_a_query_logs_in_and_mutates_with_no_network(
    graphiql: Browsing, users: UserFactory
) -> None:
    alice = await users.create("Alice", email="alice@example.com")
    page = graphiql.page

    await page.goto(f"{graphiql.server}/graphql?q={quote(ME)}")
    await expect(page.locator(EDITOR)).to_contain_text("me {")
    body, _ = await graphiql.run(ME)
    assert body == {"data": {"me": None}}

    body, _ = await graphiql.run(LOG_IN)
    payload = body["data"]["logIn"]
    assert (payload["user"], payload["errors"]) == ({"name": "Alice"}, [])
    cookies = {cookie["name"]: cookie["value"] for cookie in await graphiql.context.cookies()}
    assert cookies["mentor_csrf"] == payload["csrfToken"]
    assert "mentor_session" in cookies

    body, sent = await graphiql.run(RENAME)
    renamed = {"user": {"name": "Alice in GraphiQL"}, "errors": []}
    assert body == {"data": {"updateProfile": renamed}}
    headers = await sent.all_headers()
    assert headers["x-csrf-token"] == cookies["mentor_csrf"]
    assert "x-csrftoken" not in headers
    await expect(page.locator(".result-window")).to_contain_text("Alice in GraphiQL")
    assert (await User.get(id=alice.user.id)).name == "Alice in GraphiQL"

    body, _ = await graphiql.run(ME)
    assert body == {"data": {"me": {"name": "Alice in GraphiQL"}}}

    # A subscription: the policy lets the page open its WebSocket, and the cookie signs it in.
    acknowledged = asyncio.get_running_loop().create_future()

    def watch(socket: WebSocket) -> None:
        def heard(frame: str | bytes) -> None:
            if "connection_ack" in str(frame) and not acknowledged.done():
                acknowledged.set_result(socket.url)

        socket.on("framereceived", heard)

    page.on("websocket", watch)
    await graphiql.write(SUBSCRIBE)
    await page.click(".graphiql-execute-button")
    assert (
        await asyncio.wait_for(acknowledged, 10)
        == f"{graphiql.server.replace('http', 'ws')}/graphql"
    )
    assert graphiql.foreign_requests == []
    assert graphiql.console_errors == []


async def test_the_page_runs_only_our_scripts_and_connects_only_to_us(
    http: TestClient[Any, Any],
) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status == 200
    server = http.make_url("")
    host = f"{server.host}:{server.port}"
    assert response.headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:; "
        f"img-src 'self' data:; connect-src 'self' ws://{host} wss://{host}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    page = await response.text()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    assert scripts and all(re.fullmatch(r' src="/graphiql/[^"]+"', a) for a, _ in scripts)
    assert all(inline == "" for _, inline in scripts)
    assert "<style" not in page and " style=" not in page
    assert "://" not in page


async def test_a_forged_host_header_adds_nothing_to_the_policy(
    http: TestClient[Any, Any],
) -> None:
    response = await http.get(
        "/graphql", headers={"Accept": "text/html", "Host": "evil.example; script-src *"}
    )
    assert "connect-src 'self'; " in response.headers["Content-Security-Policy"]
    assert "evil" not in response.headers["Content-Security-Policy"]


async def test_the_page_files_come_from_this_server(http: TestClient[Any, Any]) -> None:
    page = await (await http.get("/graphql", headers={"Accept": "text/html"})).text()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert len(scripts) == 5 and len(sheets) == 3
    for path in scripts + sheets:
        response = await http.get(path)
        assert response.status == 200, path
        kind = "text/javascript" if path.endswith(".js") else "text/css"
        assert response.content_type == kind
        assert response.charset == "utf-8"
        pinned = "/vendor/" in path
        caching = "public, max-age=31536000, immutable" if pinned else "no-cache"
        assert response.headers["Cache-Control"] == caching


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/vendor/react@18.2.0/package.json",
        "/graphiql/vendor/react@18.2.0/umd/../../../assets.py",
        "/graphiql/vendor/react@17.0.0/umd/react.production.min.js",
        "/graphiql/static/../assets.py",
        "/graphiql/static/other.js",
    ],
)
async def test_nothing_but_the_page_files_is_served(http: TestClient[Any, Any], path: str) -> None:
    assert (await http.get(path)).status == 404


async def test_a_server_without_graphiql_files_says_how_to_fetch_them(
    runtime: Runtime, tmp_path: Path
) -> None:
    """Our view on the tests' runtime, pointed at an empty folder."""
    app = web.Application()
    app[RUNTIME] = runtime
    view = GraphQLView(graphiql_assets=tmp_path, schema=build_schema(), graphql_ide="graphiql")
    app.router.add_route("*", "/graphql", view)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
        text = await response.text()
    assert response.status == 503
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; ")
    assert "GraphiQL's files are not on this server yet" in text
    assert "python3 dev.py setup" in text and "mentor-api fetch-graphiql" in text
    assert "<script" not in text


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            entry = tarfile.TarInfo(f"package/{name}")
            entry.size = len(content)
            archive.addfile(entry, io.BytesIO(content))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture
async def registry() -> AsyncIterator[tuple[str, dict[str, bytes]]]:
    """A package registry on loopback: tarballs by URL path, as the test puts them."""
    tarballs: dict[str, bytes] = {}

    async def tarball(request: web.Request) -> web.Response:
        if request.path not in tarballs:
            raise web.HTTPNotFound()
        return web.Response(body=tarballs[request.path])

    app = web.Application()
    app.router.add_get("/{path:.+}", tarball)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", tarballs
    await runner.cleanup()


async def test_setup_keeps_a_package_only_when_it_is_the_pinned_one(
    registry: tuple[str, dict[str, bytes]], tmp_path: Path
) -> None:
    url, tarballs = registry
    genuine = _tarball({"dist/tool.js": b"tool();", "README.md": b"# tool", "dist/x.css": b"a{}"})
    package = assets.Package(
        "@scope/tool", "1.2.3", _integrity(genuine), ("dist/tool.js", "dist/x.css")
    )
    tarballs["/@scope/tool/-/tool-1.2.3.tgz"] = _tarball({"dist/tool.js": b"evil();"})

    with pytest.raises(assets.AssetError, match="not the pinned"):
        await _fetch(tmp_path, package, url)
    assert _files_under(tmp_path) == {}

    tarballs["/@scope/tool/-/tool-1.2.3.tgz"] = genuine
    assert await _fetch(tmp_path, package, url) == [package]
    assert _files_under(tmp_path) == {
        "@scope/tool@1.2.3/dist/tool.js": b"tool();",
        "@scope/tool@1.2.3/dist/x.css": b"a{}",
    }
    assert await _fetch(tmp_path, package, url) == []  # present: nothing fetched again


def _files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def _fetch(root: Path, package: assets.Package, url: str) -> list[assets.Package]:
    return await asyncio.to_thread(assets.fetch, root, (package,), url)

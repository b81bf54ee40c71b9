"""A screenshot of GraphiQL as a newcomer sees it: the README's picture, and a look at the
page after a change to it.

    .venv/bin/python bench/graphiql_screenshot.py [--output .var/graphiql.png]

Starts `mentor-api serve` on the embedded default (a fresh data folder, seeded with the demo
marketplace), opens GraphiQL in headless Chromium (Debian's package) with every request
outside the server aborted, runs the page's first query, checks the answer and that no
request left the server, and writes the screenshot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import ROOT, free_port, stop, wait_until_ready
from playwright.async_api import Route, async_playwright

SERVE = "from app.cli import main; main()"


def start_server(port: int, data_dir: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MENTOR_DATA_DIR": data_dir, "PYTHONPATH": str(ROOT)}
    for production_only in ("DATABASE_URL", "REDIS_URL", "MENTOR_ENV"):
        env.pop(production_only, None)
    subprocess.run([sys.executable, "-c", SERVE, "seed-demo"], cwd=ROOT, env=env, check=True)
    return subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def screenshot(url: str, output: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install -y chromium")
    server = url.rsplit("/graphql", 1)[0]
    foreign: list[str] = []

    async def only_the_server(route: Route) -> None:
        if route.request.url.startswith(server + "/"):
            await route.continue_()
        else:
            foreign.append(route.request.url)
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        page = await browser.new_page(viewport={"width": 1280, "height": 720})
        await page.route("**/*", only_the_server)
        await page.goto(url)
        async with page.expect_response(
            lambda r: r.request.method == "POST" and "mentors" in (r.request.post_data or "")
        ) as answered:
            await page.click(".graphiql-execute-button")
        body = await (await answered.value).json()
        await page.locator(".result-window").get_by_text('"edges"').wait_for()
        output.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(output))
        await browser.close()
    mentors = len(body["data"]["mentors"]["edges"])
    print(f"ran the first query: {mentors} mentors; requests outside the server: {len(foreign)}")
    if foreign or "errors" in body:
        raise SystemExit(f"GraphiQL did not work offline: {foreign or body['errors']}")
    print(f"wrote {output}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / ".var" / "graphiql.png")
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mentor-graphiql-") as data_dir:
        process = start_server(port, data_dir)
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            await wait_until_ready(url, process)
            await screenshot(url, args.output.resolve())
        finally:
            stop(process)


if __name__ == "__main__":
    asyncio.run(main())

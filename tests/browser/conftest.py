"""Headless Chromium, Debian's package, driven by Playwright: the browser a client developer
opens GraphiQL or a web client in. Missing, it fails the run with what to install; the
suite never skips."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

# Chromium's own calls home (updates, sync, field trials) have no place in a test.
QUIET_CHROMIUM = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-gpu",
    "--no-first-run",
]


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "tests/browser need Chromium: install Debian's package (apt-get install -y chromium)",
            pytrace=False,
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=QUIET_CHROMIUM)
        yield browser
        await browser.close()


@pytest.fixture
async def browser(chromium: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile per test: no cookie or storage of another test."""
    context = await chromium.new_context()
    yield context
    await context.close()

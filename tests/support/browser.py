"""Browser fixtures, for every tier that opens a page (tests/browser on the test stack, tests/cluster on the
cluster): headless Debian Chromium driven by Playwright. A conftest imports the fixtures it uses from here.

`browser_page` is a fresh page (own context) that fails the test on any console error, uncaught script error, or
failed request of the page's own origin; `screenshot(page, name)` saves reports/browser/<name>.png.
Playwright cannot download its browsers here, so it launches the installed one (/usr/bin/chromium).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

from support.stack import REPO

CHROMIUM = os.environ.get("FAULTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = REPO / "reports" / "browser"
# Generous: the machine is shared, a page's first load may compile a large bundle.
DEFAULT_TIMEOUT_MS = 30_000


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageProblems:
    """What went wrong on one page: console errors, uncaught script errors, failed requests of its own origin."""
    page: Page
    problems: list[str] = field(default_factory=list)

    def own_origin(self, url: str) -> bool:
        return self.page.url.startswith("http") and origin(url) == origin(self.page.url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Exception) -> None:
        self.problems.append(f"uncaught script error: {error}")

    def on_request_failed(self, request: Request) -> None:
        # ERR_ABORTED: the browser dropped the request itself (a reload or a newer navigation replaced it).
        if self.own_origin(request.url) and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def on_response(self, response: Response) -> None:
        if response.status >= 400 and self.own_origin(response.url):
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def watch(self) -> None:
        self.page.on("console", self.on_console)
        self.page.on("pageerror", self.on_page_error)
        self.page.on("requestfailed", self.on_request_failed)
        self.page.on("response", self.on_response)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context; the test fails if the page logged an error or a request of its origin
    failed (network error or HTTP status >= 400)."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    watcher = PageProblems(page)
    watcher.watch()
    yield page
    context.close()
    assert not watcher.problems, "the page reported problems:\n  " + "\n  ".join(watcher.problems)


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Page, str], Path]:
    """screenshot(page, name) saves the page as shown to reports/browser/<name>.png and returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take

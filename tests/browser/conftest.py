"""Browser fixtures (support/browser.py) against the same test stack the e2e tier uses: `browser_page` is a fresh
page that fails the test on any console error, uncaught script error or failed request of its own origin;
`screenshot(page, name)` saves reports/browser/<name>.png."""
from __future__ import annotations

from typing import Iterator

import pytest
import requests

from support.browser import browser, browser_page, screenshot  # noqa: F401  (fixtures for this tier)
from support.shop import Shop

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def shop(stack) -> Iterator[Shop]:
    with requests.Session() as http:
        yield Shop(stack, http)

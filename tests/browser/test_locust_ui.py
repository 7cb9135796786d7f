"""Locust's web UI (`make load-ui`'s page) against the test stack: fill the form, start a swarm, watch requests
being counted, stop it."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests
from playwright.sync_api import expect

from support.stack import REPO, LocalStack, eventually

pytestmark = pytest.mark.browser

LOCUST = Path(sys.executable).parent / "locust"
USERS = 3
AT_LEAST_TEN = re.compile(r"^\s*[1-9][0-9,]+\s*$")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def locust_ui(stack: LocalStack) -> Iterator[str]:
    """`make load-ui`'s command on a free port against the test stack; stopped (and waited for) afterwards.
    --restock 0: the test leaves the stack's stock as it found it (orders past stock come back REJECTED)."""
    port = free_port()
    settings = stack.settings
    command = [str(LOCUST), "--config", "loadtests/locust.conf", "--web-host", "127.0.0.1", "--web-port", str(port),
               "--host", settings.service_url("cart"), "--inventory-host", settings.service_url("inventory"),
               "--order-host", settings.service_url("order"), "--restock", "0"]
    log = (REPO / "reports" / "browser").resolve()
    log.mkdir(parents=True, exist_ok=True)
    with open(log / "locust-ui.log", "w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=stack.env, stdout=output, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            eventually(lambda: process.poll() is not None or _answers(url), 60, what="Locust's web UI")
            assert process.poll() is None, f"locust exited {process.returncode}; see {log / 'locust-ui.log'}"
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def test_a_swarm_started_from_the_form_counts_requests_and_stops(locust_ui, browser_page, screenshot):
    page = browser_page
    page.goto(locust_ui)
    page.get_by_label(re.compile("Number of users")).fill(str(USERS))
    page.get_by_label(re.compile("Ramp up")).fill(str(USERS))
    screenshot(page, "locust-form")
    page.get_by_role("button", name=re.compile("^start$", re.I)).click()

    expect(page.get_by_text(re.compile("^running$", re.I)).first).to_be_visible()
    # The statistics table fills in as the shoppers browse and check out; its Aggregated row counts them all
    # (columns: Type, Name, # Requests, # Fails, ...). Ten or more requests: two digits.
    aggregated = page.get_by_role("row").filter(has_text="Aggregated")
    expect(aggregated.locator("td").nth(2)).to_have_text(AT_LEAST_TEN, timeout=120_000)
    expect(page.get_by_role("row").filter(has_text="inventory /products").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="cart /carts/{id}/items/{sku}").first).to_be_visible()
    screenshot(page, "locust-running")

    page.get_by_role("button", name=re.compile("^stop$", re.I)).click()
    expect(page.get_by_text(re.compile("^stopped$", re.I)).first).to_be_visible(timeout=60_000)
    expect(aggregated.locator("td").nth(2)).to_have_text(AT_LEAST_TEN)
    screenshot(page, "locust-stopped")

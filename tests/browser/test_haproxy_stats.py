"""HAProxy's stats page, where a person checks which replicas serve: every replica of every service is listed, UP."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from faultline_ops.settings import SERVICES

pytestmark = pytest.mark.browser


def test_every_replica_of_every_service_is_listed_and_up(stack, browser_page, screenshot):
    settings = stack.settings
    page = browser_page
    # The page reloads itself every 5 s; ";norefresh" is its own "Disable refresh" link, so it holds still to be read.
    page.goto(f"http://{settings.host}:{settings.haproxy_stats_port}/;norefresh")
    for service in SERVICES:
        for instance in settings.instances(service):
            # One row per server, its first cell the server's anchor; HAProxy paints an UP server's row
            # `active_up` (green) and writes UP, after how long, in its Status cell.
            row = page.locator("tr").filter(has=page.locator(f"a[name='{service}/{instance}']"))
            expect(row).to_have_count(1)
            expect(row).to_have_class(re.compile(r"\bactive_up\b"))
            expect(row).to_contain_text(re.compile(r"\bUP\b"))
    screenshot(page, "haproxy-stats")

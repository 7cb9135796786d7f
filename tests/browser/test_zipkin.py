"""Zipkin's UI (Lens), as someone following a checkout uses it: search the order's trace by its tag, open it, and
read one waterfall with spans from all four services."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from support.traces import SERVICES, TRACE_DEADLINE_S, whole_trace_of_order

pytestmark = pytest.mark.browser

# Tall enough that the waterfall renders every row of a checkout's ~30 spans (Lens renders only visible rows).
WHOLE_WATERFALL = {"width": 1280, "height": 1800}
# The picture README shows (docs/images/checkout-trace.png, `make screenshots`).
PICTURE = {"width": 1200, "height": 700}


def test_the_checkout_trace_opens_as_one_waterfall_across_the_four_services(stack, shop, browser_page, screenshot):
    order_id = shop.buy("FL-003", 1, email="tracer@example.com")
    assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    zipkin = stack.settings.zipkin_url
    # The page can only show what Zipkin holds: wait until the whole trace arrived (instances export in batches).
    spans = whole_trace_of_order(zipkin, order_id, TRACE_DEADLINE_S)
    trace_id = spans[0]["traceId"]

    page = browser_page
    query = urlencode({"serviceName": "faultline-order", "lookback": "1h", "limit": "10",
                       "annotationQuery": f"messaging.kafka.message.key={order_id}"})
    page.goto(f"{zipkin}/zipkin/?{query}")
    page.get_by_role("button", name="Run Query").click()
    expect(page.get_by_text("1 Result")).to_be_visible()
    expect(page.get_by_text("faultline-cart: post /carts/<cart_id>/checkout")).to_be_visible()
    screenshot(page, "zipkin-search")

    page.set_viewport_size(WHOLE_WATERFALL)
    page.locator(f"a[href='/zipkin/traces/{trace_id}']").click()
    expect(page).to_have_url(f"{zipkin}/zipkin/traces/{trace_id}")
    expect(page.get_by_text("faultline-cart: post /carts/<cart_id>/checkout").first).to_be_visible()
    # The summary bar under the title: "Duration … Services 4 Total Spans N Trace ID …".
    summary = page.locator("div").filter(has_text="Total Spans").filter(has_text="Trace ID").last
    expect(summary).to_contain_text(re.compile(rf"Services\s*{len(SERVICES)}(?!\d)"))
    expect(summary).to_contain_text(re.compile(rf"Total Spans\s*{len(spans)}(?!\d)"))
    for service in sorted(SERVICES):
        expect(page.get_by_text(f"{service}: ").first).to_be_visible()
    expect(page.get_by_text("faultline-email: smtp send")).to_be_visible()
    screenshot(page, "zipkin-trace-whole")
    page.set_viewport_size(PICTURE)
    screenshot(page, "checkout-trace")

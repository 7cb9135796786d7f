"""Mailpit's web UI, as a customer's mail is read: the inbox lists a fresh order's confirmation, and opening it
shows the message with the order id in its body."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_inbox_lists_a_fresh_orders_confirmation_and_opening_it_shows_the_order(stack, shop, browser_page,
                                                                                       screenshot):
    order_id = shop.buy("FL-002", 1, email="reader@example.com")
    assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    subject = f"Order {order_id} confirmed"

    page = browser_page
    page.goto(stack.settings.mailpit_url + "/")
    # The inbox updates itself (websocket) when the mail arrives; expect() polls until it is listed.
    row = page.get_by_test_id("message-row").filter(has_text=subject)
    expect(row).to_have_count(1, timeout=60_000)
    expect(row).to_contain_text("reader@example.com")
    screenshot(page, "mailpit-inbox")

    row.click()
    expect(page).to_have_url(re.compile(r"/view/[A-Za-z0-9]+$"))
    expect(page.get_by_text(subject).first).to_be_visible()
    expect(page.locator(".text-view")).to_contain_text(f"Your order {order_id} (1 line(s)")
    expect(page.locator(".text-view")).to_contain_text("is confirmed.")
    screenshot(page, "mailpit-message")

"""The control room on the HA stack, in headless Chromium: its replication panel shows the three brokers, the
active KRaft controller, every event partition's leader and ISR, and the Redis primary the Sentinels name with its
two replicas' lag; cut a node's Kafka links and the panel shows it leave the ISR, then return."""
from __future__ import annotations

import pytest
import requests

from faultline_ops import ha
from support.stack import LocalStack, eventually

pytestmark = pytest.mark.ha


@pytest.fixture
def console(ha_stack: LocalStack, browser_page):
    page = browser_page
    page.goto(ha_stack.settings.console_url + "/")
    page.wait_for_selector("#live[data-state=live]", timeout=60_000)
    page.wait_for_selector("#replication-partitions tr[data-partition]", timeout=60_000)
    yield page
    page.evaluate("window.controlRoom && window.controlRoom.stop()")


def cell(page, selector: str) -> str:
    return page.inner_text(selector).strip()


def test_the_replication_panel_shows_brokers_controller_isr_and_the_redis_primary(ha_stack, console, screenshot):
    page, settings = console, ha_stack.settings
    expected = ha.kafka_view(settings, topics=list(ha.STATUS_TOPICS))
    primary = ha.redis_view(settings).primary
    assert len(expected.partitions) == 2 * settings.topic_partitions

    def panel_holds() -> bool:   # the whole panel at once: a reading taken while the stack settled is replaced
        return (cell(page, '[data-ha="brokers"]') == "1,2,3" and cell(page, '[data-ha="voters"]') == "1,2,3"
                and cell(page, '[data-ha="controller"]').startswith(f"node {expected.controller}")
                and page.locator("#replication-partitions tr[data-partition]").count() == len(expected.partitions)
                and cell(page, '[data-ha="primary"]') == primary and cell(page, '[data-ha="sentinels"]') == "3 of 3"
                and page.locator("#replication-redis tr[data-replica]").count() == 2)

    eventually(panel_holds, 60, what="brokers, voters, controller, partitions, primary, Sentinels and replicas")
    page.locator("#h-replication").scroll_into_view_if_needed()
    screenshot(page, "control-room-ha")


def test_a_node_cut_off_from_its_peers_leaves_the_isr_on_the_page_and_comes_back(ha_stack, console, screenshot):
    page, settings = console, ha_stack.settings
    node = 3
    links = [settings.kafka_link_name(*link) for link in settings.kafka_links() if node in link[:2]]

    def isr_cells() -> list[str]:
        return [c.strip() for c in page.locator("#replication-partitions td[data-isr]").all_inner_texts()]

    def toggle(enabled: bool) -> None:
        for name in links:
            requests.post(f"{settings.toxiproxy_url}/proxies/{name}", json={"enabled": enabled},
                          timeout=5).raise_for_status()

    eventually(lambda: isr_cells() and all(str(node) in c.split(",") for c in isr_cells()), 60,
               what="every ISR holding node 3 before the cut")
    toggle(False)
    try:
        eventually(lambda: isr_cells() and not any(str(node) in c.split(",") for c in isr_cells()), 90,
                   what="node 3 out of every ISR on the page")
        page.locator("#h-replication").scroll_into_view_if_needed()
        screenshot(page, "control-room-ha-partitioned")
    finally:
        toggle(True)
    eventually(lambda: isr_cells() and all(str(node) in c.split(",") for c in isr_cells()), 120,
               what="node 3 back in every ISR on the page")

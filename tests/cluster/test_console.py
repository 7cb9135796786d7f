"""The control room on the cluster, in headless Chromium through its NodePort: the same page as locally, its
instances read from the pods' heartbeats, its buttons acting through the chaos runner's `k8s` backend from inside
its pod (a Role limited to the release's namespace)."""
from __future__ import annotations

import threading

import requests

from support.cluster import SERVICES, Cluster
from support.stack import eventually

MEMBER = 'tr[data-instance="{name}"][data-member="alive"]'


def open_console(cluster: Cluster, page):
    page.goto(cluster.stack.settings.console_url + "/")
    page.fill("#admin-token", cluster.stack.env["FAULTLINE_ADMIN_TOKEN"])
    page.dispatch_event("#admin-token", "change")
    page.wait_for_selector("#live[data-state=live]", timeout=60_000)
    return page


def test_every_service_pod_shows_alive_on_the_control_room(cluster: Cluster, browser_page, screenshot):
    page = open_console(cluster, browser_page)
    pods = [name for service in SERVICES for name in cluster.ready_pods(service)]
    assert len(pods) >= 8
    for pod in pods:
        page.wait_for_selector(MEMBER.format(name=pod), timeout=60_000)
    screenshot(page, "cluster-control-room")
    page.evaluate("window.controlRoom && window.controlRoom.stop()")


def test_the_error_fault_from_the_page_opens_the_cart_to_inventory_edge_on_the_cluster(
        cluster: Cluster, browser_page, screenshot):
    page = open_console(cluster, browser_page)
    stop = threading.Event()

    cart = f"{cluster.stack.url('cart')}/carts/console-cluster"
    # A cart with an item: viewing it prices the item at inventory, so cart's inventory breaker sees the errors.
    assert requests.put(f"{cart}/items/FL-002", json={"quantity": 1}, timeout=30).status_code == 200

    def browse() -> None:
        # A new connection per view, as many shoppers make: the Service balances connections, not requests, so one
        # kept-alive connection would reach one cart pod only, and the other pod's breaker (open, and shown as the
        # edge's worst state) would never get the call that lets it try inventory again.
        while not stop.is_set():
            try:
                requests.get(cart, timeout=10, headers={"Connection": "close"})
            except requests.RequestException:
                pass
            stop.wait(0.2)

    viewer = threading.Thread(target=browse, daemon=True)
    viewer.start()
    try:
        page.select_option('form[data-kind="errors"] select[name="service"]', "inventory")
        page.click("#btn-errors")
        page.wait_for_selector('g[data-edge="cart-inventory"][data-state="open"]', timeout=90_000)
        screenshot(page, "cluster-control-room-breaker-open")
        page.click('tr[data-kind="errors"][data-state="active"] button.lift')
        page.wait_for_selector('g[data-edge="cart-inventory"][data-state="closed"]', timeout=120_000)
    finally:
        stop.set()
        viewer.join(timeout=15)
        url = cluster.stack.settings.console_url
        for fault in requests.get(f"{url}/api/faults", timeout=10).json()["faults"]:
            if fault["state"] == "active":
                requests.delete(f"{url}/api/faults/{fault['id']}", headers=cluster.stack.admin_headers, timeout=10)
        eventually(lambda: all(not f["state"] == "active"
                               for f in requests.get(f"{url}/api/faults", timeout=10).json()["faults"]), 60,
                   what="no fault left active on the console")
    page.evaluate("window.controlRoom && window.controlRoom.stop()")

"""After a checkout on the running stack, Jaeger holds one trace for it with spans from all four services."""
from __future__ import annotations

import json

import pytest
import requests

from support.stack import eventually

pytestmark = pytest.mark.e2e

SERVICES = {"faultline-cart", "faultline-order", "faultline-inventory", "faultline-email"}


def trace_of_order(jaeger_url: str, order_id: str) -> dict | None:
    """The trace whose OrderPlaced send span is keyed by this order, once every service has reported into it."""
    response = requests.get(f"{jaeger_url}/api/traces", timeout=10, params={
        "service": "faultline-order", "lookback": "1h", "limit": 5,
        "tags": json.dumps({"messaging.kafka.message.key": order_id, "faultline.event.type": "OrderPlaced"})})
    for trace in response.json().get("data") or []:
        services = {process["serviceName"] for process in trace["processes"].values()}
        operations = {span["operationName"] for span in trace["spans"]}
        if services == SERVICES and "smtp send" in operations:
            return trace
    return None


def test_a_checkout_shows_in_jaeger_as_one_trace_across_the_four_services(stack, shop):
    order_id = shop.buy("FL-004", 1, email="traced@example.com")
    assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    trace = eventually(lambda: trace_of_order(stack.settings.jaeger_url, order_id), 60,
                       what="the checkout trace in Jaeger")
    operations = {span["operationName"] for span in trace["spans"]}
    assert {"POST /carts/<cart_id>/checkout", "POST /orders", "send orders", "process orders", "send inventory",
            "process inventory", "smtp send"} <= operations
    roots = [span for span in trace["spans"] if not span["references"]]
    assert len(roots) == 1 and roots[0]["operationName"] == "POST /carts/<cart_id>/checkout"

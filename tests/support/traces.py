"""Reading the test stack's traces from Zipkin's v2 API: an order's checkout trace, once it is complete."""
from __future__ import annotations

import requests

SERVICES = {"faultline-cart", "faultline-order", "faultline-inventory", "faultline-email"}
# Zipkin stores span names in lower case.
EXPECTED_SPANS = {"post /carts/<cart_id>/checkout", "post /orders", "send orders", "process orders",
                  "send inventory", "process inventory", "smtp send"}
CHECKOUT_SPAN = "post /carts/<cart_id>/checkout"
LOOKBACK_MS = 3600 * 1000


def order_trace_ids(zipkin_url: str, order_id: str) -> list[str]:
    """Ids of the traces holding this order's OrderPlaced send span (Zipkin's v2 search by service and tags)."""
    response = requests.get(f"{zipkin_url}/api/v2/traces", timeout=10, params={
        "serviceName": "faultline-order", "lookback": LOOKBACK_MS, "limit": 10,
        "annotationQuery": f"messaging.kafka.message.key={order_id} and faultline.event.type=OrderPlaced"})
    response.raise_for_status()
    return sorted({trace[0]["traceId"] for trace in response.json() if trace})


def service_of(span: dict) -> str:
    return (span.get("localEndpoint") or {}).get("serviceName", "")


def complete(spans: list[dict]) -> bool:
    """Every service reported, every expected span arrived, and they hang from one root (the checkout)."""
    roots = [span for span in spans if not span.get("parentId")]
    return ({service_of(span) for span in spans} == SERVICES and EXPECTED_SPANS <= {span["name"] for span in spans}
            and len(roots) == 1 and roots[0]["name"] == CHECKOUT_SPAN)


def whole_trace_of_order(zipkin_url: str, order_id: str) -> list[dict] | None:
    """The order's trace once it is complete; None while spans are still arriving (each instance exports in
    batches, so the first spans of a trace show up seconds before the last)."""
    ids = order_trace_ids(zipkin_url, order_id)
    if len(ids) != 1:
        return None
    response = requests.get(f"{zipkin_url}/api/v2/trace/{ids[0]}", timeout=10)
    if response.status_code != 200:
        return None
    spans = response.json()
    return spans if complete(spans) else None

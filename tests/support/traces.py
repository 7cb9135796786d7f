"""Reading the test stack's traces from Zipkin's v2 API: an order's checkout trace, once it is complete."""
from __future__ import annotations

import time

import requests

SERVICES = {"faultline-cart", "faultline-order", "faultline-inventory", "faultline-email"}
# Zipkin stores span names in lower case.
EXPECTED_SPANS = {"post /carts/<cart_id>/checkout", "post /orders", "send orders", "process orders",
                  "send inventory", "process inventory", "smtp send"}
CHECKOUT_SPAN = "post /carts/<cart_id>/checkout"
LOOKBACK_MS = 3600 * 1000
# How long a trace may take to reach Zipkin in full. Calm, about 10 s. Beside a background Locust at load 40 the
# Collector's queue to Zipkin backed up past 90 s (its export batches were still queued at shutdown): the deadline
# bounds a trace that never completes, it does not time the pipeline.
TRACE_DEADLINE_S = 240


def order_trace_ids(zipkin_url: str, order_id: str) -> list[str]:
    """Ids of the traces holding this order's OrderPlaced send span (Zipkin's v2 search by service and tags)."""
    response = requests.get(f"{zipkin_url}/api/v2/traces", timeout=10, params={
        "serviceName": "faultline-order", "lookback": LOOKBACK_MS, "limit": 10,
        "annotationQuery": f"messaging.kafka.message.key={order_id} and faultline.event.type=OrderPlaced"})
    response.raise_for_status()
    return sorted({trace[0]["traceId"] for trace in response.json() if trace})


def service_of(span: dict) -> str:
    return (span.get("localEndpoint") or {}).get("serviceName", "")


# Each instance's BatchSpanProcessor exports every 5 s (OTel's default), the Collector batches once more: a trace
# whose spans did not change for longer than that has no batch left in flight.
SETTLED_S = 7.0
# OrderPlaced and OrderConfirmed are both sent to `orders`, and inventory and email both process it.
AT_LEAST_TWICE = ("send orders", "process orders")


def complete(spans: list[dict]) -> bool:
    """Every service reported, every expected span arrived (the two `orders` hops twice), every parent a span
    names is in the trace, and they hang from one root (the checkout)."""
    names = [span["name"] for span in spans]
    ids = {span["id"] for span in spans}
    roots = [span for span in spans if not span.get("parentId")]
    return ({service_of(span) for span in spans} == SERVICES and EXPECTED_SPANS <= set(names)
            and all(names.count(name) >= 2 for name in AT_LEAST_TWICE)
            and all(span["parentId"] in ids for span in spans if span.get("parentId"))
            and len(roots) == 1 and roots[0]["name"] == CHECKOUT_SPAN)


def trace_of_order(zipkin_url: str, order_id: str) -> list[dict] | None:
    """The spans Zipkin holds so far for the order's one checkout trace; None while it has not one yet."""
    ids = order_trace_ids(zipkin_url, order_id)
    if len(ids) != 1:
        return None
    response = requests.get(f"{zipkin_url}/api/v2/trace/{ids[0]}", timeout=10)
    return response.json() if response.status_code == 200 else None


class WholeTraceOf:
    """A probe for `eventually`: the order's trace once it is complete *and* settled (the same spans for
    SETTLED_S), None before. The first complete-looking answer is not taken: instances export in batches, so the
    first spans of a trace show up seconds before the last."""

    def __init__(self, zipkin_url: str, order_id: str, settled_s: float = SETTLED_S) -> None:
        self.zipkin_url, self.order_id, self.settled_s = zipkin_url, order_id, settled_s
        self._seen: frozenset[str] = frozenset()
        self._since = 0.0

    def __call__(self) -> list[dict] | None:
        try:
            spans = trace_of_order(self.zipkin_url, self.order_id)
        except requests.RequestException:
            return None   # Zipkin did not answer this time: the spans seen so far still count as settled
        if not spans or not complete(spans):
            self._seen = frozenset()
            return None
        ids = frozenset(span["id"] for span in spans)
        if ids != self._seen:
            self._seen, self._since = ids, time.monotonic()
            return None
        return spans if time.monotonic() - self._since >= self.settled_s else None


def whole_trace_of_order(zipkin_url: str, order_id: str, timeout_s: float) -> list[dict]:
    """Poll Zipkin until the order's whole checkout trace is there (complete and settled); fail after timeout_s."""
    from support.stack import eventually

    return eventually(WholeTraceOf(zipkin_url, order_id), timeout_s, interval_s=1.0,
                      what=f"the whole checkout trace of order {order_id} in Zipkin")

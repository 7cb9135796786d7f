"""After a checkout on the running stack, Zipkin holds one trace for it with spans from all four services."""
from __future__ import annotations

import pytest

from support.traces import (CHECKOUT_SPAN, EXPECTED_SPANS, SERVICES, TRACE_DEADLINE_S, order_trace_ids, service_of,
                            whole_trace_of_order)

pytestmark = pytest.mark.e2e


def test_a_checkout_shows_in_zipkin_as_one_trace_across_the_four_services(stack, shop):
    order_id = shop.buy("FL-004", 1, email="traced@example.com")
    assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    spans = whole_trace_of_order(stack.settings.zipkin_url, order_id, TRACE_DEADLINE_S)
    assert len({span["traceId"] for span in spans}) == 1
    assert {service_of(span) for span in spans} == SERVICES
    assert EXPECTED_SPANS <= {span["name"] for span in spans}
    by_name = {span["name"]: span for span in spans}
    assert service_of(by_name[CHECKOUT_SPAN]) == "faultline-cart"
    assert service_of(by_name["smtp send"]) == "faultline-email"
    assert order_trace_ids(stack.settings.zipkin_url, order_id) == [spans[0]["traceId"]]

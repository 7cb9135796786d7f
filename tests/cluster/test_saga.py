"""The checkout saga on the cluster, as a laptop user on kind does it: through the cart's NodePort, the order
CONFIRMED, its mail in Mailpit (NodePort), and the checkout as one trace across the four services in Zipkin
(services -> Collector -> Zipkin, as the chart wires them)."""
from __future__ import annotations

from support.cluster import Cluster
from support.shop import Shop
from support.stack import eventually
from support.traces import SERVICES, whole_trace_of_order


def test_a_checkout_through_the_node_port_is_confirmed_mailed_and_traced(cluster: Cluster, shop: Shop):
    assert shop.stack.url("cart").endswith(":30082")
    order_id = shop.buy("FL-001", 2, email="ada@example.com")
    order = shop.wait_terminal(order_id, 120)
    assert order["status"] == "CONFIRMED", order
    [mail] = eventually(lambda: shop.emails(order_id), 60, what="the confirmation record")
    assert mail["event_type"] == "OrderConfirmed"
    eventually(lambda: f"Order {order_id} confirmed" in shop.mailpit_subjects(), 60, what="the mail in Mailpit")
    zipkin = f"http://127.0.0.1:{cluster.stack.settings.zipkin_port}"
    spans = whole_trace_of_order(zipkin, order_id, 120)
    assert {span["localEndpoint"]["serviceName"] for span in spans} == SERVICES

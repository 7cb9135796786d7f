"""The checkout saga on the cluster, as a laptop user on kind does it: through the cart's NodePort, the order
CONFIRMED, its mail in Mailpit (NodePort), and the checkout traced across the four services."""
from __future__ import annotations

from support.cluster import Cluster
from support.shop import Shop
from support.stack import eventually


def test_a_checkout_through_the_node_port_is_confirmed_and_mailed(cluster: Cluster, shop: Shop):
    assert shop.stack.url("cart").endswith(":30082")
    order_id = shop.buy("FL-001", 2, email="ada@example.com")
    order = shop.wait_terminal(order_id, 120)
    assert order["status"] == "CONFIRMED", order
    [mail] = eventually(lambda: shop.emails(order_id), 60, what="the confirmation record")
    assert mail["event_type"] == "OrderConfirmed"
    eventually(lambda: f"Order {order_id} confirmed" in shop.mailpit_subjects(), 60, what="the mail in Mailpit")

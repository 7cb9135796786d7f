"""The checkout saga on the running stack: cart -> order -> Kafka -> inventory -> order -> email -> Mailpit."""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from kafka import KafkaProducer

from support.stack import eventually

pytestmark = pytest.mark.e2e


def test_a_checkout_is_confirmed_and_mailed(shop):
    order_id = shop.buy("FL-001", 2, email="ada@example.com")
    order = shop.wait_terminal(order_id)
    assert order["status"] == "CONFIRMED" and order["version"] == 2
    assert order["lines"] == [{"sku": "FL-001", "quantity": 2, "unit_price_cents": 1299}]
    [mail] = eventually(lambda: shop.emails(order_id), 30, what="the confirmation record")
    assert (mail["event_type"], mail["to"]) == ("OrderConfirmed", "ada@example.com")
    eventually(lambda: f"Order {order_id} confirmed" in shop.mailpit_subjects(), 30, what="the mail in Mailpit")


def test_the_cart_is_emptied_only_by_an_accepted_checkout(shop):
    cart_id = f"cart-{uuid.uuid4().hex[:8]}"
    shop.add(cart_id, "FL-002", 1)
    assert shop.checkout(cart_id, "not-an-email").status_code == 422
    cart = shop.http.get(shop.url("cart", f"/carts/{cart_id}")).json()
    assert [(i["sku"], i["quantity"], i["unit_price_cents"]) for i in cart["items"]] == [("FL-002", 1, 899)]
    assert cart["total_cents"] == 899 and cart["stale"] is False
    assert shop.checkout(cart_id, "a@example.com").status_code == 202
    assert shop.http.get(shop.url("cart", f"/carts/{cart_id}")).json()["items"] == []


def test_a_replayed_checkout_answers_the_same_order(shop):
    cart_id = f"cart-{uuid.uuid4().hex[:8]}"
    shop.add(cart_id, "FL-003", 1)
    first = shop.checkout(cart_id, "a@example.com", key="replay-key-" + cart_id)
    second = shop.checkout(cart_id, "a@example.com", key="replay-key-" + cart_id)
    assert first.status_code == second.status_code == 202
    assert first.json()["order_id"] == second.json()["order_id"]


def test_an_order_beyond_the_stock_is_rejected_and_mailed(shop):
    assert shop.set_stock("FL-024", 1).status_code == 200
    order_id = shop.buy("FL-024", 2)
    order = shop.wait_terminal(order_id)
    assert order["status"] == "REJECTED" and "insufficient stock for FL-024" in order["reason"]
    # The order's own reservation, not the SKU's stock figure, which other shoppers move at the same time.
    reservation = shop.reservation(order_id)
    assert (reservation["status"], reservation["lines"]) == ("REJECTED", [{"sku": "FL-024", "quantity": 2}])
    eventually(lambda: [m for m in shop.emails(order_id) if m["event_type"] == "OrderRejected"], 30,
               what="the rejection mail")


def test_cancelling_a_confirmed_order_gives_its_stock_back(shop):
    # Judged by the order's own reservation: inventory moves the SKU's stock in the same Redis transaction as the
    # reservation's status, while the SKU's available figure also moves with every other shopper's order.
    order_id = shop.buy("FL-005", 3)
    assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    held = [{"sku": "FL-005", "quantity": 3}]
    assert (shop.reservation(order_id)["status"], shop.reservation(order_id)["lines"]) == ("RESERVED", held)
    response = shop.http.post(shop.url("order", f"/orders/{order_id}/cancel"))
    assert response.status_code == 200 and response.json()["status"] == "CANCELLED"
    eventually(lambda: shop.reservation(order_id)["status"] == "RELEASED", 30, what="stock released")
    assert shop.reservation(order_id)["lines"] == held
    eventually(lambda: {m["event_type"] for m in shop.emails(order_id)} == {"OrderConfirmed", "OrderCancelled"},
               30, what="confirmation and cancellation mails")
    assert shop.http.post(shop.url("order", f"/orders/{order_id}/cancel")).status_code == 200


def test_bad_input_gets_a_problem_not_a_500(shop):
    unknown = shop.add("cart-x", "NO-SUCH-SKU", 1)
    assert unknown.status_code == 422 and unknown.headers["Content-Type"] == "application/problem+json"
    assert shop.add("cart-x", "FL-001", 0).status_code == 422
    empty = shop.checkout(f"cart-{uuid.uuid4().hex[:8]}", "a@example.com")
    assert empty.status_code == 409
    assert shop.http.get(shop.url("order", "/orders/does-not-exist")).status_code == 404


def test_a_poison_event_is_dead_lettered_and_the_saga_keeps_working(shop, stack):
    before = _dlq_depth(stack).get("inventory.dlq", 0)
    producer = KafkaProducer(bootstrap_servers=stack.settings.kafka_bootstrap)
    try:
        producer.send("orders", key=b"poison", value=b'{"type": "OrderPlaced", "garbage": true}').get(timeout=10)
        producer.send("orders", key=b"poison", value=json.dumps({
            "event_id": "p-1", "type": "OrderPlaced", "schema_version": 1, "producer": "evil", "aggregate_id": "p",
            "aggregate_version": 1, "lamport": 1, "occurred_at": "2026-01-01T00:00:00Z",
            "payload": {"order_id": "p", "lines": [{"sku": "FL-001", "quantity": -5}]}}).encode()).get(timeout=10)
    finally:
        producer.close()
    eventually(lambda: _dlq_depth(stack).get("inventory.dlq", 0) >= before + 2, 30,
               what="both poison records in inventory.dlq")
    assert shop.wait_terminal(shop.buy("FL-006", 1))["status"] == "CONFIRMED"


def _dlq_depth(stack) -> dict[str, int]:
    from faultline_ops.verify import dead_letter_depths

    return dead_letter_depths(stack.settings.kafka_bootstrap)


def test_two_hundred_concurrent_checkouts_all_end_terminal_and_verify_passes(shop, stack, tmp_path):
    skus = [f"FL-{n:03d}" for n in range(1, 13)]

    def one_checkout(i: int) -> str:
        with requests.Session() as http:
            cart_id = f"load-{uuid.uuid4().hex[:10]}"
            for sku in (skus[i % len(skus)], skus[(i * 7 + 3) % len(skus)]):
                response = http.put(f"{stack.url('cart')}/carts/{cart_id}/items/{sku}", json={"quantity": 1},
                                    timeout=15)
                assert response.status_code == 200, response.text
            response = http.post(f"{stack.url('cart')}/carts/{cart_id}/checkout", json={"email": f"u{i}@example.com"},
                                 headers={"Idempotency-Key": f"load-{cart_id}"}, timeout=30)
            assert response.status_code == 202, response.text
            return response.json()["order_id"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        order_ids = list(pool.map(one_checkout, range(200)))
    assert len(set(order_ids)) == 200

    # Verify these 200 orders, as a person would theirs: other shoppers (a background load) may go on meanwhile.
    mine = tmp_path / "orders.json"
    mine.write_text(json.dumps(order_ids))
    verdict = stack.faultline("verify", "--json", "--wait", "120", "--orders", str(mine), check=False)
    report = json.loads(verdict.stdout)
    assert report["ok"], verdict.stdout
    subjects = set(shop.mailpit_subjects())
    assert all(any(order_id in s for s in subjects) for order_id in order_ids)

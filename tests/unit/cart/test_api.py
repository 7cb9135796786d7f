"""Cart's HTTP routes driven through create_app with fakes (no Redis, no inventory, no order)."""
import pytest

from cart_service.app import create_app
from cart_service.bootstrap import bootstrap
from cart_service.config import CartSettings
from support.apps import UNREACHABLE

from .fakes import FakeCarts, FakeCatalog, FakeOrders


@pytest.fixture
def fakes():
    return FakeCarts(), FakeCatalog({"FL-001": 150, "FL-002": 999}), FakeOrders()


@pytest.fixture
def client(fakes):
    carts, catalog, orders = fakes
    settings = CartSettings.from_env(UNREACHABLE)
    return create_app(settings, bootstrap(settings, carts=carts, catalog=catalog, orders=orders)).test_client()


def test_putting_items_answers_the_priced_cart(client):
    client.put("/carts/c-1/items/FL-002", json={"quantity": 1})
    response = client.put("/carts/c-1/items/FL-001", json={"quantity": 2})
    assert response.status_code == 200
    body = response.get_json()
    assert [(line["sku"], line["quantity"]) for line in body["items"]] == [("FL-001", 2), ("FL-002", 1)]
    assert body["total_cents"] == 2 * 150 + 999


def test_a_cart_is_read_and_an_item_removed(client):
    client.put("/carts/c-1/items/FL-001", json={"quantity": 2})
    assert client.get("/carts/c-1").get_json()["total_cents"] == 300
    response = client.delete("/carts/c-1/items/FL-001")
    assert response.status_code == 200 and response.get_json()["items"] == []


def test_checkout_places_the_order_with_the_same_key_and_empties_the_cart(client, fakes):
    _, _, orders = fakes
    client.put("/carts/c-1/items/FL-001", json={"quantity": 2})
    response = client.post("/carts/c-1/checkout", json={"email": "a@b.io"}, headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 202
    body = response.get_json()
    assert (body["order_id"], body["status"], body["total_cents"]) == ("order-for-k-1", "PENDING", 300)
    assert [(key, cart, email) for key, cart, email, _ in orders.calls] == [("k-1", "c-1", "a@b.io")]
    assert client.get("/carts/c-1").get_json()["items"] == []


def test_a_replayed_checkout_answers_the_first_result_without_a_second_order(client, fakes):
    _, _, orders = fakes
    client.put("/carts/c-1/items/FL-001", json={"quantity": 1})
    first = client.post("/carts/c-1/checkout", json={"email": "a@b.io"}, headers={"Idempotency-Key": "k-1"})
    again = client.post("/carts/c-1/checkout", json={"email": "a@b.io"}, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 202 and again.get_json() == first.get_json()
    assert len(orders.calls) == 1


def test_health_answers_without_redis(client):
    assert client.get("/livez").status_code == 200
    assert client.get("/readyz").status_code == 200

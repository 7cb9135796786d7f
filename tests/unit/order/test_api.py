"""Order's HTTP routes and its consumer side, driven through create_app with fakes (no Redis, no Kafka)."""
import pytest

from order_service.app import create_app
from order_service.bootstrap import bootstrap
from order_service.config import OrderSettings
from order_service.domain import OrderStatus
from order_service.events import StockRejected, StockReserved
from support.apps import UNREACHABLE, bus_of, envelope_of

from .fakes import FakeRepository, FakeSaga

BODY = {"cart_id": "cart-1", "email": "a@b.io", "lines": [{"sku": "FL-001", "quantity": 2, "unit_price_cents": 150}]}


@pytest.fixture
def repo():
    return FakeRepository()


@pytest.fixture
def saga():
    return FakeSaga()


@pytest.fixture
def app(repo, saga):
    settings = OrderSettings.from_env(UNREACHABLE)
    return create_app(settings, bootstrap(settings, orders=repo, saga=saga))


def place(client, key="k-1"):
    return client.post("/orders", json=BODY, headers={"Idempotency-Key": key})


def test_placing_an_order_answers_201_with_the_pending_order_and_queues_order_placed(app, repo):
    response = place(app.test_client())
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["total_cents"], body["version"]) == ("PENDING", 300, 1)
    assert response.headers["Location"] == f"/orders/{body['order_id']}"
    assert [e.payload.event_type for e in repo.outbox] == ["OrderPlaced"]


def test_a_replayed_key_answers_200_with_the_first_order(app):
    client = app.test_client()
    first = place(client).get_json()
    again = place(client)
    assert again.status_code == 200 and again.get_json()["order_id"] == first["order_id"]


def test_an_order_id_is_derived_from_its_idempotency_key(app):
    import uuid

    from order_service.domain import order_id_for

    client = app.test_client()
    first = place(client, "key-a").get_json()["order_id"]
    assert first == order_id_for("key-a") and uuid.UUID(first).version == 5
    assert place(client, "key-b").get_json()["order_id"] != first


def test_orders_are_listed_and_read_one_by_one(app):
    client = app.test_client()
    ids = [place(client, f"k-{n}").get_json()["order_id"] for n in range(3)]
    page = client.get("/orders?offset=1&limit=1").get_json()
    assert page["total"] == 3 and [o["order_id"] for o in page["orders"]] == ids[1:2]
    assert client.get(f"/orders/{ids[0]}").get_json()["order_id"] == ids[0]


def test_a_stock_reserved_event_confirms_the_order_through_the_bus(app, repo, saga):
    order_id = place(app.test_client()).get_json()["order_id"]
    bus_of(app)(envelope_of(StockReserved(order_id=order_id), order_id))
    assert repo.orders[order_id].status is OrderStatus.CONFIRMED
    assert [e.payload.event_type for e in repo.outbox] == ["OrderPlaced", "OrderConfirmed"]
    assert len(saga.recorded) == 1


def test_a_stock_rejected_event_rejects_the_order_with_the_reason(app, repo):
    order_id = place(app.test_client()).get_json()["order_id"]
    bus_of(app)(envelope_of(StockRejected(order_id=order_id, reason="no stock"), order_id))
    order = app.test_client().get(f"/orders/{order_id}").get_json()
    assert (order["status"], order["reason"]) == ("REJECTED", "no stock")


def test_a_confirmed_order_is_cancelled(app, repo):
    client = app.test_client()
    order_id = place(client).get_json()["order_id"]
    bus_of(app)(envelope_of(StockReserved(order_id=order_id), order_id))
    response = client.post(f"/orders/{order_id}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "CANCELLED"
    assert repo.outbox[-1].payload.event_type == "OrderCancelled"


def test_health_and_the_contract_answer_without_redis_or_kafka(app):
    client = app.test_client()
    assert client.get("/livez").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.get_json()
    assert "/orders" in client.get("/openapi.json").get_json()["paths"]

"""Inventory's HTTP routes and its consumer side, driven through create_app with fakes (no Redis, no Kafka)."""
import pytest

from inventory_service.app import create_app
from inventory_service.bootstrap import bootstrap
from inventory_service.config import InventorySettings
from inventory_service.events import OrderCancelled, OrderPlaced
from support.apps import ADMIN, UNREACHABLE, RecordingOutlet, bus_of, envelope_of

from .fakes import FakeStore


@pytest.fixture
def store():
    return FakeStore({"FL-001": 5, "FL-002": 1}, prices={"FL-001": 150})


@pytest.fixture
def outlet():
    return RecordingOutlet()


@pytest.fixture
def app(store, outlet):
    settings = InventorySettings.from_env(UNREACHABLE)
    return create_app(settings, bootstrap(settings, store=store, outlet=outlet))


def test_the_catalog_is_listed_whole_or_by_sku(app):
    client = app.test_client()
    assert [p["sku"] for p in client.get("/products").get_json()["products"]] == ["FL-001", "FL-002"]
    assert [p["sku"] for p in client.get("/products?sku=FL-002").get_json()["products"]] == ["FL-002"]
    product = client.get("/products/FL-001").get_json()
    assert (product["price_cents"], product["available"]) == (150, 5)


def test_an_admin_sets_the_available_stock(app):
    response = app.test_client().put("/products/FL-001/stock", json={"available": 9}, headers=ADMIN)
    assert response.status_code == 200
    assert (response.get_json()["available"], response.get_json()["total"]) == (9, 9)


def test_an_order_placed_reserves_stock_and_answers_stock_reserved_through_the_outlet(app, store, outlet):
    placed = OrderPlaced(order_id="o-1", lines=[{"sku": "FL-001", "quantity": 2}])
    bus_of(app)(envelope_of(placed, "o-1"))
    assert store.available["FL-001"] == 3
    [answer] = outlet.sent
    assert (answer.payload.event_type, answer.aggregate_id) == ("StockReserved", "o-1")
    reservation = app.test_client().get("/reservations/o-1").get_json()
    assert reservation["status"] == "RESERVED"


def test_an_order_cancelled_releases_what_was_reserved(app, store, outlet):
    bus_of(app)(envelope_of(OrderPlaced(order_id="o-1", lines=[{"sku": "FL-002", "quantity": 1}]), "o-1"))
    cancelled = OrderCancelled(order_id="o-1", lines=[{"sku": "FL-002", "quantity": 1}])
    bus_of(app)(envelope_of(cancelled, "o-1", version=3))
    assert store.available["FL-002"] == 1
    assert [e.payload.event_type for e in outlet.sent] == ["StockReserved", "StockReleased"]


def test_health_answers_without_redis_or_kafka(app):
    assert app.test_client().get("/readyz").status_code == 200

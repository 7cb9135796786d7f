import pytest

from inventory_service import handlers
from inventory_service.catalog import seed_products
from inventory_service.domain import (Line, Product, Reservation, ReservationStatus, decide_reservation, merge_lines,
                                      release, stock_after_reservation)
from inventory_service.events import OrderCancelled, OrderPlaced

from .fakes import FakeStore


def test_the_seed_catalog_has_at_least_twenty_distinct_priced_skus():
    products = seed_products()
    assert len({p.sku for p in products}) == len(products) >= 20
    assert all(p.price_cents > 0 and p.available == p.total > 0 for p in products)


def test_lines_for_the_same_sku_are_merged():
    assert merge_lines([Line("B", 1), Line("A", 2), Line("B", 3)]) == (Line("A", 2), Line("B", 4))


def test_every_line_is_reserved_when_all_are_in_stock():
    decision = decide_reservation("o", (Line("A", 2), Line("B", 1)), {"A": 2, "B": 5})
    assert decision.status is ReservationStatus.RESERVED
    assert stock_after_reservation(decision, {"A": 2, "B": 5}) == {"A": 0, "B": 4}


def test_one_short_line_rejects_the_whole_order_and_takes_nothing():
    decision = decide_reservation("o", (Line("A", 1), Line("B", 6)), {"A": 2, "B": 5})
    assert decision.status is ReservationStatus.REJECTED
    assert "insufficient stock for B" in decision.reason
    assert stock_after_reservation(decision, {"A": 2, "B": 5}) == {"A": 2, "B": 5}


def test_an_unknown_sku_rejects_the_order_naming_it():
    decision = decide_reservation("o", (Line("NOPE", 1),), {"NOPE": None})
    assert (decision.status, decision.reason) == (ReservationStatus.REJECTED, "unknown SKU NOPE")


def test_only_a_held_reservation_can_be_released_and_only_once():
    held = Reservation("o", ReservationStatus.RESERVED, (Line("A", 1),))
    released = release(held)
    assert released.status is ReservationStatus.RELEASED
    assert release(released) is None
    assert release(Reservation("o", ReservationStatus.REJECTED, (), "x")) is None


def test_setting_available_stock_moves_the_total_by_the_same_amount():
    product = Product("A", "a", 100, available=5, total=8)
    assert product.with_available(9) == Product("A", "a", 100, 9, 12)
    with pytest.raises(ValueError):
        product.with_available(-1)


def placed(order_id="o-1", qty=2):
    return OrderPlaced(order_id=order_id, lines=[{"sku": "A", "quantity": qty}])


def test_a_redelivered_order_placed_answers_the_same_event_and_reserves_once():
    store = FakeStore({"A": 3})
    first = handlers.reserve_stock(placed(), "cause", 1, store)
    second = handlers.reserve_stock(placed(), "cause", 1, store)
    assert first == second
    assert first[0].payload.event_type == "StockReserved"
    assert store.available == {"A": 1}


def test_a_rejection_names_the_reason():
    [event] = handlers.reserve_stock(placed(qty=9), "cause", 1, FakeStore({"A": 3}))
    assert event.payload.event_type == "StockRejected"
    assert "insufficient" in event.payload.reason


def test_a_cancellation_releases_once_and_a_duplicate_emits_nothing():
    store = FakeStore({"A": 3})
    handlers.reserve_stock(placed(), "cause", 1, store)
    cancelled = OrderCancelled(order_id="o-1")
    assert handlers.release_stock(cancelled, "c2", 3, store)[0].payload.event_type == "StockReleased"
    assert handlers.release_stock(cancelled, "c2", 3, store) == []
    assert store.available == {"A": 3}

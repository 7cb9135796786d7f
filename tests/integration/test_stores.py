"""Redis stores under concurrency on the real Redis: all-or-nothing reservations, one order per key."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from faultline_kit.bus import EventOutlet
from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.messages import EnvelopeStamper
from inventory_service.adapters.stock_store import StockStore
from inventory_service.domain import Line, Product, ReservationStatus
from order_service.adapters.order_store import OUTBOX_KEY, IdempotencyConflict, OrderStore
from order_service.domain import Order, OrderLine

pytestmark = pytest.mark.integration

NOW = "2026-01-01T00:00:00+00:00"


def test_concurrent_reservations_never_oversell_and_conserve_stock(redis_client):
    store = StockStore(redis_client)
    store.seed([Product("A", "a", 100, 10, 10), Product("B", "b", 100, 100, 100)])
    orders = [f"o-{i}" for i in range(60)]

    with ThreadPoolExecutor(max_workers=12) as pool:
        decisions = list(pool.map(lambda o: store.reserve(o, (Line("A", 3), Line("B", 1))), orders))

    reserved = [d for d in decisions if d.status is ReservationStatus.RESERVED]
    assert len(reserved) == 3  # 10 // 3
    a, b = store.product("A"), store.product("B")
    assert (a.available, b.available) == (1, 97)  # all-or-nothing: B moved only with A
    assert a.total == a.available + 3 * len(reserved)


def test_a_reservation_is_decided_once_per_order(redis_client):
    store = StockStore(redis_client)
    store.seed([Product("A", "a", 100, 5, 5)])
    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = set(pool.map(lambda _: store.reserve("same", (Line("A", 2),)), range(16)))
    assert len(decisions) == 1
    assert store.product("A").available == 3


def test_release_gives_stock_back_exactly_once(redis_client):
    store = StockStore(redis_client)
    store.seed([Product("A", "a", 100, 5, 5)])
    store.reserve("o", (Line("A", 2),))
    with ThreadPoolExecutor(max_workers=8) as pool:
        released = [r for r in pool.map(lambda _: store.release("o"), range(8)) if r is not None]
    assert len(released) == 1 and store.product("A").available == 5


def test_seeding_twice_keeps_the_stock_that_moved(redis_client):
    store = StockStore(redis_client)
    store.seed([Product("A", "a", 100, 5, 5)])
    store.reserve("o", (Line("A", 2),))
    assert store.seed([Product("A", "a", 100, 5, 5)]) == 0
    assert store.product("A").available == 3


def order_store(redis_client) -> OrderStore:
    return OrderStore(redis_client, EventOutlet(EnvelopeStamper("it", LamportClock(), WallClock()), "orders"))


def new_order(order_id: str, key: str, qty: int = 1) -> Order:
    return Order.place(order_id, key, "cart", "a@b.io", (OrderLine("A", qty, 100),), NOW)


def test_concurrent_requests_with_one_idempotency_key_make_one_order_and_one_event(redis_client):
    from order_service import handlers

    store = order_store(redis_client)
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda i: handlers.place_order(new_order(f"o-{i}", "key"), store), range(20)))
    assert len({order.order_id for order, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert redis_client.llen(OUTBOX_KEY) == 1


def test_a_retry_after_its_key_record_was_lost_answers_the_order_it_finds_and_writes_nothing(redis_client):
    """The key's record is gone but its order (same id: derived from the key) is there: replay, never overwrite."""
    from order_service import handlers
    from order_service.adapters.order_store import idempotency_key

    store = order_store(redis_client)
    first, created = handlers.place_order(new_order("o-1", "key"), store)
    redis_client.delete(idempotency_key("key"))
    again, created_again = handlers.place_order(new_order("o-1", "key"), store)
    assert created and not created_again and again == first
    assert redis_client.llen(OUTBOX_KEY) == 1
    with pytest.raises(IdempotencyConflict):
        handlers.place_order(new_order("o-1", "key", qty=2), store)


def test_a_key_reused_with_another_body_is_a_conflict(redis_client):
    from order_service import handlers

    store = order_store(redis_client)
    handlers.place_order(new_order("o-1", "key", qty=1), store)
    with pytest.raises(IdempotencyConflict):
        handlers.place_order(new_order("o-2", "key", qty=2), store)

import pytest

from faultline_kit.envelope import InvalidMessage, derived_event_id

from order_service import handlers
from order_service.domain import Order, OrderLine, OrderStatus
from order_service.events import StockRejected, StockReserved

from .fakes import FakeRepository, FakeSaga

NOW = "2026-01-01T00:00:00+00:00"


def placed(repo: FakeRepository, key: str = "k-1") -> Order:
    order = Order.place(f"o-{key}", key, "cart-1", "a@b.io", (OrderLine("FL-001", 1, 100),), NOW)
    return handlers.place_order(order, repo)[0]


def test_placing_writes_order_placed_to_the_outbox_with_the_order():
    repo = FakeRepository()
    order = placed(repo)
    [event] = repo.outbox
    assert event.payload.event_type == "OrderPlaced"
    assert (event.aggregate_id, event.aggregate_version) == (order.order_id, 1)
    assert event.payload.total_cents == 100


def test_a_replayed_key_returns_the_first_order_and_adds_no_event():
    repo = FakeRepository()
    first = placed(repo, "same")
    again, created = handlers.place_order(
        Order.place("o-other", "same", "cart-1", "a@b.io", (OrderLine("FL-001", 1, 100),), NOW), repo)
    assert (again.order_id, created, len(repo.outbox)) == (first.order_id, False, 1)


def test_stock_reserved_confirms_and_emits_order_confirmed_with_a_derived_id():
    repo, saga = FakeRepository(), FakeSaga()
    order = placed(repo)
    handlers.confirm_order(StockReserved(order_id=order.order_id), "cause-1", 1, repo, lambda: NOW, saga)
    assert repo.orders[order.order_id].status is OrderStatus.CONFIRMED
    event = repo.outbox[-1]
    assert event.payload.event_type == "OrderConfirmed"
    assert event.event_id == derived_event_id("cause-1", "OrderConfirmed")
    assert [o.status for o in saga.recorded] == [OrderStatus.CONFIRMED]


def test_a_redelivered_outcome_emits_nothing_more_and_times_the_saga_once():
    repo, saga = FakeRepository(), FakeSaga()
    order = placed(repo)
    for _ in range(3):
        handlers.confirm_order(StockReserved(order_id=order.order_id), "cause-1", 1, repo, lambda: NOW, saga)
    assert [e.payload.event_type for e in repo.outbox] == ["OrderPlaced", "OrderConfirmed"]
    assert len(saga.recorded) == 1


def test_stock_rejected_rejects_and_emits_order_rejected_with_the_reason():
    repo = FakeRepository()
    order = placed(repo)
    handlers.reject_order(StockRejected(order_id=order.order_id, reason="unknown SKU X"), "c", 1, repo,
                          lambda: NOW, FakeSaga())
    assert repo.orders[order.order_id].status is OrderStatus.REJECTED
    assert repo.outbox[-1].payload.reason == "unknown SKU X"


def test_an_outcome_for_an_unknown_order_can_never_be_handled():
    with pytest.raises(InvalidMessage, match="unknown order o-nope"):
        handlers.confirm_order(StockReserved(order_id="o-nope"), "c", 1, FakeRepository(), lambda: NOW, FakeSaga())


def test_cancel_emits_order_cancelled_once():
    repo = FakeRepository()
    order = placed(repo)
    handlers.confirm_order(StockReserved(order_id=order.order_id), "c", 1, repo, lambda: NOW, FakeSaga())
    handlers.cancel_order(order.order_id, repo, lambda: NOW)
    handlers.cancel_order(order.order_id, repo, lambda: NOW)
    assert [e.payload.event_type for e in repo.outbox] == ["OrderPlaced", "OrderConfirmed", "OrderCancelled"]
    assert repo.outbox[-1].aggregate_version == 3

import pytest

from order_service.domain import InvalidTransition, Order, OrderLine, OrderStatus

NOW = "2026-01-01T00:00:00+00:00"
LATER = "2026-01-01T00:00:05+00:00"


def pending() -> Order:
    return Order.place("o-1", "key-1", "cart-1", "a@b.io", (OrderLine("FL-001", 2, 500),), NOW)


def test_a_new_order_is_pending_at_version_one_with_its_total():
    order = pending()
    assert (order.status, order.version, order.total_cents) == (OrderStatus.PENDING, 1, 1000)


def test_an_order_needs_at_least_one_line():
    with pytest.raises(ValueError):
        Order.place("o-1", "k", "c", "a@b.io", (), NOW)


def test_stock_reserved_confirms_and_bumps_the_version():
    confirmed = pending().apply_stock_outcome(True, answers_version=1, now=LATER)
    assert (confirmed.status, confirmed.version, confirmed.updated_at) == (OrderStatus.CONFIRMED, 2, LATER)


def test_stock_rejected_rejects_with_the_reason():
    rejected = pending().apply_stock_outcome(False, 1, LATER, reason="insufficient stock for FL-001")
    assert rejected.status is OrderStatus.REJECTED
    assert rejected.reason == "insufficient stock for FL-001"


def test_a_duplicate_outcome_changes_nothing():
    confirmed = pending().apply_stock_outcome(True, 1, LATER)
    assert confirmed.apply_stock_outcome(True, 1, LATER) is None
    assert confirmed.apply_stock_outcome(False, 1, LATER, "late rejection") is None


def test_an_outcome_for_another_version_is_stale_and_ignored():
    assert pending().apply_stock_outcome(True, answers_version=7, now=LATER) is None


def test_only_a_confirmed_order_can_be_cancelled():
    with pytest.raises(InvalidTransition):
        pending().cancel(LATER)
    rejected = pending().apply_stock_outcome(False, 1, LATER, "no stock")
    with pytest.raises(InvalidTransition):
        rejected.cancel(LATER)


def test_cancelling_moves_to_cancelled_once():
    cancelled = pending().apply_stock_outcome(True, 1, LATER).cancel(LATER)
    assert (cancelled.status, cancelled.version) == (OrderStatus.CANCELLED, 3)
    assert cancelled.cancel(LATER) is None


def test_only_pending_is_not_terminal():
    assert [s for s in OrderStatus if not s.terminal] == [OrderStatus.PENDING]

"""Order's commands and reactions: plain functions that decide; the repository stores atomically."""
from __future__ import annotations

from typing import Callable, Protocol

from faultline_kit.envelope import InvalidMessage, derived_event_id
from faultline_kit.messages import NewEvent

from .domain import Order, OrderStatus
from .events import (OrderCancelled, OrderConfirmed, OrderLinePayload, OrderPlaced, OrderRejected, StockRejected,
                     StockReserved)

Decision = tuple[Order, list[NewEvent]] | None


class OrderRepository(Protocol):
    def place(self, order: Order, events: list[NewEvent]) -> tuple[Order, bool]: ...

    def update(self, order_id: str, decide: Callable[[Order], Decision]) -> tuple[Order, bool]: ...


class SagaClock(Protocol):
    def record(self, order: Order) -> None: ...


def _lines(order: Order) -> list[OrderLinePayload]:
    return [OrderLinePayload(sku=l.sku, quantity=l.quantity, unit_price_cents=l.unit_price_cents) for l in order.lines]


def order_placed(order: Order) -> NewEvent:
    return NewEvent(OrderPlaced(order_id=order.order_id, cart_id=order.cart_id, email=order.email,
                                lines=_lines(order), total_cents=order.total_cents), order.order_id, order.version)


def outcome_event(order: Order, cause_event_id: str) -> NewEvent:
    if order.status is OrderStatus.CONFIRMED:
        payload = OrderConfirmed(order_id=order.order_id, email=order.email, lines=_lines(order),
                                 total_cents=order.total_cents)
    elif order.status is OrderStatus.REJECTED:
        payload = OrderRejected(order_id=order.order_id, email=order.email, reason=order.reason)
    else:
        payload = OrderCancelled(order_id=order.order_id, email=order.email, lines=_lines(order),
                                 total_cents=order.total_cents)
    return NewEvent(payload, order.order_id, order.version, derived_event_id(cause_event_id, payload.event_type))


def place_order(order: Order, repository: OrderRepository) -> tuple[Order, bool]:
    """Store a new PENDING order with its OrderPlaced in the outbox; (existing order, False) on a replay."""
    return repository.place(order, [order_placed(order)])


def confirm_order(event: StockReserved, event_id: str, aggregate_version: int, orders: OrderRepository,
                  now: Callable[[], str], saga: SagaClock) -> None:
    """Inventory reserved the stock: the order is CONFIRMED (a duplicate or stale answer changes nothing)."""
    _apply_stock_outcome(event.order_id, True, "", event_id, aggregate_version, orders, now, saga)


def reject_order(event: StockRejected, event_id: str, aggregate_version: int, orders: OrderRepository,
                 now: Callable[[], str], saga: SagaClock) -> None:
    """Inventory refused the stock: the order is REJECTED with its reason."""
    _apply_stock_outcome(event.order_id, False, event.reason, event_id, aggregate_version, orders, now, saga)


def _apply_stock_outcome(order_id: str, reserved: bool, reason: str, cause_event_id: str, answers_version: int,
                         orders: OrderRepository, now: Callable[[], str], saga: SagaClock) -> None:
    def decide(order: Order) -> Decision:
        moved = order.apply_stock_outcome(reserved, answers_version, now(), reason)
        return None if moved is None else (moved, [outcome_event(moved, cause_event_id)])

    try:
        order, moved = orders.update(order_id, decide)
    except KeyError:
        raise InvalidMessage(f"a stock outcome names unknown order {order_id}") from None
    if moved:
        saga.record(order)


def cancel_order(order_id: str, repository: OrderRepository, now: Callable[[], str]) -> Order:
    """Cancel a CONFIRMED order (InvalidTransition otherwise); cancelling twice is harmless."""

    def decide(order: Order) -> Decision:
        cancelled = order.cancel(now())
        return None if cancelled is None else (cancelled, [outcome_event(cancelled, f"cancel/{order_id}")])

    return repository.update(order_id, decide)[0]

"""Order's commands and reactions: plain functions that decide; the repository stores atomically."""
from __future__ import annotations

from typing import Callable, Protocol

from faultline_kit.envelope import derived_event_id
from faultline_kit.messages import NewEvent

from .domain import Order, OrderStatus
from .events import (OrderCancelled, OrderConfirmed, OrderLinePayload, OrderPlaced, OrderRejected, StockRejected,
                     StockReserved)

Decision = tuple[Order, list[NewEvent]] | None


class OrderRepository(Protocol):
    def place(self, order: Order, events: list[NewEvent]) -> tuple[Order, bool]: ...

    def update(self, order_id: str, decide: Callable[[Order], Decision]) -> Order | None: ...


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


def apply_stock_outcome(event: StockReserved | StockRejected, cause_event_id: str, answers_version: int,
                        repository: OrderRepository, now: Callable[[], str]) -> Order | None:
    """The order this outcome moved, or None when it was a duplicate or stale (nothing changed)."""
    reserved = isinstance(event, StockReserved)
    reason = "" if reserved else event.reason
    moved_to: list[Order | None] = [None]

    def decide(order: Order) -> Decision:
        moved_to[0] = order.apply_stock_outcome(reserved, answers_version, now(), reason)
        return None if moved_to[0] is None else (moved_to[0], [outcome_event(moved_to[0], cause_event_id)])

    repository.update(event.order_id, decide)
    return moved_to[0]


def cancel_order(order_id: str, repository: OrderRepository, now: Callable[[], str]) -> Order | None:
    """Cancel a CONFIRMED order (InvalidTransition otherwise); cancelling twice is harmless."""

    def decide(order: Order) -> Decision:
        cancelled = order.cancel(now())
        return None if cancelled is None else (cancelled, [outcome_event(cancelled, f"cancel/{order_id}")])

    return repository.update(order_id, decide)

"""Inventory's reactions to order events: plain functions of a message and a store, returning new events."""
from __future__ import annotations

from typing import Protocol

from faultline_kit.envelope import derived_event_id
from faultline_kit.messages import NewEvent

from .domain import Line, Reservation, ReservationStatus
from .events import OrderCancelled, OrderPlaced, ReservedLine, StockRejected, StockReleased, StockReserved


class ReservationStore(Protocol):
    def reserve(self, order_id: str, lines: tuple[Line, ...]) -> Reservation: ...

    def release(self, order_id: str) -> Reservation | None: ...


def _reserved_lines(reservation: Reservation) -> list[ReservedLine]:
    return [ReservedLine(sku=line.sku, quantity=line.quantity) for line in reservation.lines]


def reserve_stock(event: OrderPlaced, event_id: str, aggregate_version: int,
                  store: ReservationStore) -> list[NewEvent]:
    """Reserve every line or none. A redelivered OrderPlaced answers the stored decision with the same event id."""
    reservation = store.reserve(event.order_id, tuple(Line(l.sku, l.quantity) for l in event.lines))
    if reservation.status is not ReservationStatus.REJECTED:
        payload = StockReserved(order_id=event.order_id, lines=_reserved_lines(reservation))
    else:
        payload = StockRejected(order_id=event.order_id, reason=reservation.reason)
    return [NewEvent(payload, event.order_id, aggregate_version, derived_event_id(event_id, payload.event_type))]


def release_stock(event: OrderCancelled, event_id: str, aggregate_version: int,
                  store: ReservationStore) -> list[NewEvent]:
    """Give the order's stock back once; a duplicate cancellation releases nothing and emits nothing."""
    released = store.release(event.order_id)
    if released is None:
        return []
    payload = StockReleased(order_id=event.order_id, lines=_reserved_lines(released))
    return [NewEvent(payload, event.order_id, aggregate_version, derived_event_id(event_id, payload.event_type))]

"""Stock and reservations. Pure: no I/O, no clocks."""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum


class ReservationStatus(str, Enum):
    RESERVED = "RESERVED"
    REJECTED = "REJECTED"
    RELEASED = "RELEASED"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price_cents: int
    available: int
    total: int

    def with_available(self, available: int) -> "Product":
        """Set what can be sold; `total` (what the warehouse holds) moves by the same amount."""
        if available < 0:
            raise ValueError("available must not be negative")
        return replace(self, available=available, total=self.total + (available - self.available))


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Reservation:
    order_id: str
    status: ReservationStatus
    lines: tuple[Line, ...]
    reason: str = ""

    @property
    def holds_stock(self) -> bool:
        return self.status is ReservationStatus.RESERVED


def merge_lines(lines: list[Line] | tuple[Line, ...]) -> tuple[Line, ...]:
    """One line per SKU, quantities summed, in SKU order (stable for storage and comparison)."""
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return tuple(Line(sku, qty) for sku, qty in sorted(totals.items()))


def decide_reservation(order_id: str, lines: tuple[Line, ...], available: dict[str, int | None]) -> Reservation:
    """All or nothing: reserve every line, or reject the order naming the first SKU that cannot be served."""
    merged = merge_lines(lines)
    for line in merged:
        stock = available.get(line.sku)
        if stock is None:
            return Reservation(order_id, ReservationStatus.REJECTED, merged, f"unknown SKU {line.sku}")
        if stock < line.quantity:
            return Reservation(order_id, ReservationStatus.REJECTED, merged,
                               f"insufficient stock for {line.sku}: {stock} available, {line.quantity} wanted")
    return Reservation(order_id, ReservationStatus.RESERVED, merged)


def stock_after_reservation(reservation: Reservation, available: dict[str, int]) -> dict[str, int]:
    if not reservation.holds_stock:
        return dict(available)
    return {line.sku: available[line.sku] - line.quantity for line in reservation.lines}


def release(reservation: Reservation) -> Reservation | None:
    """The released reservation, or None when there is nothing to give back (rejected or already released)."""
    if not reservation.holds_stock:
        return None
    return replace(reservation, status=ReservationStatus.RELEASED)

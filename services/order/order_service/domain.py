"""Orders and their state machine. Pure: no I/O; time comes in as an argument.

PENDING --StockReserved--> CONFIRMED --cancel--> CANCELLED
PENDING --StockRejected--> REJECTED
Each transition bumps the aggregate version; an inventory outcome is applied only to the version it answers, so
duplicates and stale events change nothing.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import Enum

# Order ids are derived from the Idempotency-Key (UUID v5 in this namespace), so the same request gets the same id
# even where the key's own record was lost: a Redis failover that drops an order after its OrderPlaced went out, and
# cart's retry with the same key, place the same order again, and inventory's reservation for it (keyed by order
# id) answers the first one instead of holding stock twice.
ORDER_ID_NAMESPACE = uuid.UUID("5f0c1c9e-7d3a-5b8e-9a51-2f6d0b4c8e17")


def order_id_for(idempotency_key: str) -> str:
    return str(uuid.uuid5(ORDER_ID_NAMESPACE, idempotency_key))


class OrderStatus(str, Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"

    @property
    def terminal(self) -> bool:
        return self is not OrderStatus.PENDING


class InvalidTransition(Exception):
    def __init__(self, order: "Order", action: str) -> None:
        super().__init__(f"cannot {action} an order that is {order.status.value}")
        self.order = order
        self.action = action


ALLOWED = {
    (OrderStatus.PENDING, "confirm"): OrderStatus.CONFIRMED,
    (OrderStatus.PENDING, "reject"): OrderStatus.REJECTED,
    (OrderStatus.CONFIRMED, "cancel"): OrderStatus.CANCELLED,
}


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_cents: int

    @property
    def subtotal_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Order:
    order_id: str
    idempotency_key: str
    cart_id: str
    email: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    version: int
    created_at: str
    updated_at: str
    reason: str = ""

    @classmethod
    def place(cls, order_id: str, idempotency_key: str, cart_id: str, email: str,
              lines: tuple[OrderLine, ...], now: str) -> "Order":
        if not lines:
            raise ValueError("an order needs at least one line")
        return cls(order_id, idempotency_key, cart_id, email, lines, OrderStatus.PENDING, 1, now, now)

    @property
    def total_cents(self) -> int:
        return sum(line.subtotal_cents for line in self.lines)

    def _move(self, action: str, now: str, reason: str = "") -> "Order":
        target = ALLOWED.get((self.status, action))
        if target is None:
            raise InvalidTransition(self, action)
        return replace(self, status=target, version=self.version + 1, updated_at=now, reason=reason or self.reason)

    def apply_stock_outcome(self, reserved: bool, answers_version: int, now: str, reason: str = "") -> "Order | None":
        """The order after inventory's answer, or None when the answer is a duplicate or stale."""
        if self.status is not OrderStatus.PENDING or answers_version != self.version:
            return None
        return self._move("confirm", now) if reserved else self._move("reject", now, reason)

    def cancel(self, now: str) -> "Order | None":
        """The cancelled order; None when it is already cancelled; InvalidTransition otherwise."""
        if self.status is OrderStatus.CANCELLED:
            return None
        return self._move("cancel", now)

"""In-memory stand-ins for order's adapters (no Redis)."""
from __future__ import annotations

from order_service.domain import Order


class FakeRepository:
    def __init__(self):
        self.orders: dict[str, Order] = {}
        self.outbox = []

    def ping(self) -> bool:
        return True

    def place(self, order, events):
        existing = next((o for o in self.orders.values() if o.idempotency_key == order.idempotency_key), None)
        if existing:
            return existing, False
        self.orders[order.order_id] = order
        self.outbox += events
        return order, True

    def update(self, order_id, decide):
        current = self.orders[order_id]
        decision = decide(current)
        if decision is None:
            return current, False
        self.orders[order_id], events = decision
        self.outbox += events
        return self.orders[order_id], True

    def get(self, order_id):
        return self.orders.get(order_id)

    def page(self, offset, limit):
        ordered = list(self.orders.values())
        return ordered[offset:offset + limit], len(ordered)


class FakeSaga:
    def __init__(self):
        self.recorded: list[Order] = []

    def record(self, order: Order) -> None:
        self.recorded.append(order)

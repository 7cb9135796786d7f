"""Kafka envelope -> inventory outcome -> order state machine."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from opentelemetry.metrics import Meter

from faultline_kit.envelope import Envelope, InvalidMessage
from faultline_kit.messages import EnvelopeStamper, EventRegistry, TypedEventHandler

from .. import handlers
from ..domain import Order
from ..events import StockRejected, StockReserved


class SagaTimer:
    """Checkout accepted -> terminal state, as a histogram (both ends read on order's own clock)."""

    def __init__(self, meter: Meter) -> None:
        self._histogram = meter.create_histogram("faultline.saga.duration", unit="s",
                                                 description="order placed until CONFIRMED or REJECTED")

    def record(self, order: Order) -> None:
        elapsed = datetime.fromisoformat(order.updated_at) - datetime.fromisoformat(order.created_at)
        self._histogram.record(max(elapsed.total_seconds(), 0.0), {"outcome": order.status.value})


class OrderEventHandler(TypedEventHandler):
    consumes = EventRegistry(StockReserved, StockRejected)

    def __init__(self, repository: handlers.OrderRepository, stamper: EnvelopeStamper, now: Callable[[], str],
                 saga_timer: SagaTimer | None = None):
        super().__init__(stamper)
        self.repository = repository
        self.now = now
        self.saga_timer = saga_timer

    def handle(self, event: StockReserved | StockRejected, envelope: Envelope) -> None:
        try:
            moved = handlers.apply_stock_outcome(event, envelope.event_id, envelope.aggregate_version,
                                                 self.repository, self.now)
        except KeyError:
            raise InvalidMessage(f"{envelope.type} names unknown order {event.order_id}") from None
        if moved is not None and self.saga_timer is not None:
            self.saga_timer.record(moved)

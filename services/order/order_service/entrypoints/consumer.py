"""Kafka envelope -> inventory outcome -> order state machine."""
from __future__ import annotations

from typing import Callable

from faultline_kit.envelope import Envelope, InvalidMessage
from faultline_kit.messages import EnvelopeStamper, EventRegistry

from .. import handlers
from ..events import StockRejected, StockReserved

CONSUMED = EventRegistry(StockReserved, StockRejected)


class OrderEventHandler:
    def __init__(self, repository: handlers.OrderRepository, stamper: EnvelopeStamper, now: Callable[[], str]):
        self.repository = repository
        self.stamper = stamper
        self.now = now

    def handles(self, event_type: str) -> bool:
        return CONSUMED.knows(event_type)

    def __call__(self, envelope: Envelope) -> None:
        self.stamper.observe(envelope)
        event = CONSUMED.payload_of(envelope)
        try:
            handlers.apply_stock_outcome(event, envelope.event_id, envelope.aggregate_version, self.repository,
                                         self.now)
        except KeyError:
            raise InvalidMessage(f"{envelope.type} names unknown order {event.order_id}") from None

"""Kafka envelope -> typed event -> handler -> published events."""
from __future__ import annotations

from faultline_kit.envelope import Envelope
from faultline_kit.kafka_bus import EventPublisher
from faultline_kit.messages import EnvelopeStamper, EventRegistry

from .. import handlers
from ..events import OrderCancelled, OrderPlaced

CONSUMED = EventRegistry(OrderPlaced, OrderCancelled)


class InventoryEventHandler:
    def __init__(self, store: handlers.ReservationStore, publisher: EventPublisher, stamper: EnvelopeStamper,
                 topic: str):
        self.topic = topic
        self.store = store
        self.publisher = publisher
        self.stamper = stamper

    def handles(self, event_type: str) -> bool:
        return CONSUMED.knows(event_type)

    def __call__(self, envelope: Envelope) -> None:
        self.stamper.observe(envelope)
        event = CONSUMED.payload_of(envelope)
        if isinstance(event, OrderPlaced):
            new_events = handlers.reserve_stock(event, envelope.event_id, envelope.aggregate_version, self.store)
        else:
            new_events = handlers.release_stock(event, envelope.event_id, envelope.aggregate_version, self.store)
        for new in new_events:
            self.publisher.publish(self.topic, self.stamper.stamp(new.payload, new.aggregate_id,
                                                                       new.aggregate_version, new.event_id))

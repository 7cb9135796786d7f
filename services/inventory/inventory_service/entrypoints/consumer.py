"""Kafka envelope -> typed event -> handler -> published events."""
from __future__ import annotations

from faultline_kit.envelope import Envelope
from faultline_kit.kafka_bus import EventPublisher
from faultline_kit.messages import EnvelopeStamper, EventRegistry, TypedEventHandler

from .. import handlers
from ..events import OrderCancelled, OrderPlaced


class InventoryEventHandler(TypedEventHandler):
    consumes = EventRegistry(OrderPlaced, OrderCancelled)

    def __init__(self, store: handlers.ReservationStore, publisher: EventPublisher, stamper: EnvelopeStamper,
                 topic: str):
        super().__init__(stamper)
        self.topic = topic
        self.store = store
        self.publisher = publisher

    def handle(self, event: OrderPlaced | OrderCancelled, envelope: Envelope) -> None:
        if isinstance(event, OrderPlaced):
            new_events = handlers.reserve_stock(event, envelope.event_id, envelope.aggregate_version, self.store)
        else:
            new_events = handlers.release_stock(event, envelope.event_id, envelope.aggregate_version, self.store)
        for new in new_events:
            self.publisher.publish(self.topic, self.stamper.stamp(new.payload, new.aggregate_id,
                                                                       new.aggregate_version, new.event_id))

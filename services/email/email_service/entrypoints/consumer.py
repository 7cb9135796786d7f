"""Kafka envelope -> order outcome -> customer mail."""
from __future__ import annotations

from typing import Callable

from faultline_kit.envelope import Envelope
from faultline_kit.messages import EnvelopeStamper, EventRegistry, TypedEventHandler

from .. import handlers
from ..events import OrderCancelled, OrderConfirmed, OrderRejected


class EmailEventHandler(TypedEventHandler):
    consumes = EventRegistry(OrderConfirmed, OrderRejected, OrderCancelled)

    def __init__(self, mailer: handlers.Mailer, sent: handlers.SentMails, stamper: EnvelopeStamper,
                 now: Callable[[], str]) -> None:
        super().__init__(stamper)
        self.mailer = mailer
        self.sent = sent
        self.now = now

    def handle(self, event: handlers.Outcome, envelope: Envelope) -> None:
        handlers.notify_customer(envelope.event_id, event, self.mailer, self.sent, self.now)

"""Kafka envelope -> order outcome -> customer mail."""
from __future__ import annotations

from typing import Callable

from faultline_kit.envelope import Envelope
from faultline_kit.messages import EnvelopeStamper, EventRegistry

from .. import handlers
from ..events import OrderCancelled, OrderConfirmed, OrderRejected

CONSUMED = EventRegistry(OrderConfirmed, OrderRejected, OrderCancelled)


class EmailEventHandler:
    def __init__(self, mailer: handlers.Mailer, sent: handlers.SentMails, stamper: EnvelopeStamper,
                 now: Callable[[], str]) -> None:
        self.mailer = mailer
        self.sent = sent
        self.stamper = stamper
        self.now = now

    def handles(self, event_type: str) -> bool:
        return CONSUMED.knows(event_type)

    def __call__(self, envelope: Envelope) -> None:
        self.stamper.observe(envelope)
        event = CONSUMED.payload_of(envelope)
        handlers.notify_customer(envelope.event_id, event, self.mailer, self.sent, self.now)  # type: ignore[arg-type]

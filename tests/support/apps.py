"""Building a service's app for a unit test: settings that point nowhere reachable, so only fakes answer."""
from __future__ import annotations

from faultline_kit.bootstrap import BUS_KEY
from faultline_kit.bus import MessageBus
from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.envelope import Envelope
from faultline_kit.messages import EnvelopeStamper, EventPayload

# Nothing listens on port 1: a test that reached a real Redis or Kafka would fail, not pass by accident.
UNREACHABLE = {"FAULTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "FAULTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
               "FAULTLINE_ADMIN_TOKEN": "secret", "FAULTLINE_INSTANCE_ID": "unit-1"}
ADMIN = {"Authorization": "Bearer secret"}


def envelope_of(payload: EventPayload, aggregate_id: str, version: int = 1) -> Envelope:
    """An event as another service would have sent it."""
    return EnvelopeStamper("peer-1", LamportClock(), WallClock()).stamp(payload, aggregate_id, version)


def bus_of(app) -> MessageBus:
    return app.extensions[BUS_KEY]


class RecordingOutlet:
    def __init__(self) -> None:
        self.sent = []

    def send(self, events) -> None:
        self.sent += list(events)

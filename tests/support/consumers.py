"""What the consumer tests hand a ConsumerLoop: a plain function of the envelope, for the event types named."""
from __future__ import annotations

from typing import Callable

from faultline_kit.envelope import Envelope


class EnvelopeFunction:
    def __init__(self, handle: Callable[[Envelope], object], *event_types: str) -> None:
        self._handle = handle
        self._types = event_types

    def handles(self, event_type: str) -> bool:
        return event_type in self._types

    def __call__(self, envelope: Envelope) -> None:
        self._handle(envelope)

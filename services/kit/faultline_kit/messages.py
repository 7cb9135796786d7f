"""Turning typed event payloads into envelopes and back, without knowing any service's domain."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from .clock import LamportClock, WallClock
from .envelope import Envelope, InvalidMessage, new_event_id, validate_payload


class EventPayload(BaseModel):
    """Base for a service's event payload models: each names its wire type and schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


def payload_of(model: type[EventPayload], envelope: Envelope) -> EventPayload:
    """The envelope's payload as `model`; InvalidMessage when it is not one, or from a newer schema."""
    if envelope.type != model.event_type:
        raise InvalidMessage(f"{envelope.type} is not a {model.event_type}")
    if envelope.schema_version > model.schema_version:
        raise InvalidMessage(
            f"{envelope.type} schema version {envelope.schema_version} is newer than {model.schema_version}"
        )
    return validate_payload(model, envelope.payload)  # type: ignore[return-value]


class EnvelopeStamper:
    """Wraps payloads in envelopes carrying this producer's identity and Lamport time."""

    def __init__(self, producer: str, lamport: LamportClock, wall: WallClock) -> None:
        self.producer = producer
        self.lamport = lamport
        self.wall = wall

    def stamp(
        self,
        payload: EventPayload,
        aggregate_id: str,
        aggregate_version: int,
        event_id: str | None = None,
    ) -> Envelope:
        return Envelope(
            event_id=event_id or new_event_id(),
            type=payload.event_type,
            schema_version=payload.schema_version,
            producer=self.producer,
            aggregate_id=aggregate_id,
            aggregate_version=aggregate_version,
            lamport=self.lamport.tick(),
            occurred_at=self.wall.now(),
            payload=payload.model_dump(mode="json"),
        )

    def observe(self, envelope: Envelope) -> None:
        self.lamport.observe(envelope.lamport)


@dataclass(frozen=True)
class NewEvent:
    """What a handler returns: a payload for an aggregate; the service's outlet stamps and sends it."""

    payload: EventPayload
    aggregate_id: str
    aggregate_version: int
    event_id: str | None = None

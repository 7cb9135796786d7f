"""One message bus per service. A service declares what it handles as data, `{EventType: handler}`; the bus checks
at start-up that every handler's parameters can be provided, injects the dependencies by parameter name, and sends
every event a handler returns down the service's outlet (one stamp-and-publish path).

A handler is a plain function: its first parameter is the typed event; any other parameter is a dependency the
service provides by that name, or one of the facts of the message being handled (`MESSAGE_FACTS`). It returns the
new events (`NewEvent`) or nothing. It never sees a Kafka record, a header or an offset.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping, Protocol, Sequence

from .envelope import Envelope, InvalidMessage
from .messages import EnvelopeStamper, EventPayload, NewEvent, payload_of
from .publisher import EventPublisher
from .topology import Channels

Handler = Callable[..., Sequence[NewEvent] | None]

# What a handler may ask for about the message it handles, by parameter name.
MESSAGE_FACTS: dict[str, Callable[[Envelope], Any]] = {
    "event_id": lambda envelope: envelope.event_id,
    "aggregate_version": lambda envelope: envelope.aggregate_version,
    "envelope": lambda envelope: envelope,
}


class WiringError(TypeError):
    """A handler asks for something nobody provides (found at start-up, never at the first message)."""


class Outlet(Protocol):
    def send(self, events: Sequence[NewEvent]) -> None: ...


class EventOutlet:
    """The one way a service's events leave it: stamped with the service's identity and Lamport time, for `topic`.

    `send` publishes them now (a service that publishes directly); `stamp` is what a repository uses to write them
    to an outbox in the same transaction as the state change they come from (a relay publishes them later)."""

    def __init__(self, stamper: EnvelopeStamper, topic: str, publisher: EventPublisher | None = None) -> None:
        self.stamper = stamper
        self.topic = topic
        self._publisher = publisher

    def stamp(self, events: Sequence[NewEvent]) -> list[Envelope]:
        return [self.stamper.stamp(new.payload, new.aggregate_id, new.aggregate_version, new.event_id)
                for new in events]

    def send(self, events: Sequence[NewEvent]) -> None:
        if self._publisher is None:
            raise WiringError(f"events for {self.topic} can only go to an outbox here: {events}")
        self._publisher.publish_all([(self.topic, envelope, None) for envelope in self.stamp(events)])


@dataclass(frozen=True)
class Messaging:
    """What a service declares: the Kafka names it owns and reads, and which handler each consumed event goes to."""

    channels: Channels
    handlers: Mapping[type[EventPayload], Handler]


@dataclass(frozen=True)
class _Route:
    model: type[EventPayload]
    call: Handler
    facts: tuple[str, ...]


def _route(model: type[EventPayload], handler: Handler, provided: Mapping[str, object]) -> _Route:
    names = list(inspect.signature(handler).parameters)[1:]
    missing = [name for name in names if name not in provided and name not in MESSAGE_FACTS]
    if missing:
        raise WiringError(f"{handler.__module__}.{handler.__name__} needs {missing}, which the service does not "
                          f"provide (it provides {sorted(provided)}; every message provides {sorted(MESSAGE_FACTS)})")
    injected = {name: provided[name] for name in names if name in provided}
    return _Route(model, partial(handler, **injected), tuple(name for name in names if name not in provided))


class MessageBus:
    """Envelope in: observe the sender's Lamport time, validate the payload as its declared type, call its handler
    with what it asks for, and send the events it returns through the outlet. Types it does not know are skipped."""

    def __init__(self, handlers: Mapping[type[EventPayload], Handler], provided: Mapping[str, object],
                 stamper: EnvelopeStamper, outlet: Outlet | None = None) -> None:
        self._routes = {model.event_type: _route(model, handler, provided) for model, handler in handlers.items()}
        self._stamper = stamper
        self._outlet = outlet

    def handles(self, event_type: str) -> bool:
        return event_type in self._routes

    def __call__(self, envelope: Envelope) -> None:
        route = self._routes.get(envelope.type)
        if route is None:
            raise InvalidMessage(f"no handler for {envelope.type!r}")
        self._stamper.observe(envelope)
        facts = {name: MESSAGE_FACTS[name](envelope) for name in route.facts}
        new_events = route.call(payload_of(route.model, envelope), **facts)
        if new_events:
            if self._outlet is None:
                raise WiringError(f"{envelope.type}'s handler returned events but the service has no outlet")
            self._outlet.send(new_events)

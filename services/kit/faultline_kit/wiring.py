"""Assembly helpers every service's app factory uses, so the wiring is written once."""
from __future__ import annotations

from typing import Callable, Protocol

from .envelope import Envelope
from .kafka_bus import ConsumerLoop, EventPublisher, broker_reachable
from .runtime import BackgroundTask
from .settings import KitSettings


class EnvelopeHandler(Protocol):
    def handles(self, event_type: str) -> bool: ...

    def __call__(self, envelope: Envelope) -> None: ...


def consumer_tasks(kit: KitSettings, group: str, topics: tuple[str, ...], handler: EnvelopeHandler,
                   publisher: EventPublisher) -> list[BackgroundTask]:
    """The group's main consumer loop and its retry-topic twin, as background tasks."""
    main = ConsumerLoop(kit.kafka_bootstrap, group, topics, handler.handles, handler, publisher,
                        client_id=kit.instance_id)
    retry = ConsumerLoop.for_retry_topic(main)
    return [BackgroundTask(main.name, main.run), BackgroundTask(retry.name, retry.run)]


def readiness_checks(kit: KitSettings, redis_ping: Callable[[], bool]) -> dict[str, Callable[[], bool]]:
    return {"redis": redis_ping, "kafka": lambda: broker_reachable(kit.kafka_bootstrap)}

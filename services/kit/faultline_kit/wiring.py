"""Assembly helpers every service's app factory uses, so the wiring is written once."""
from __future__ import annotations

from typing import Callable, Protocol

import redis

from .envelope import Envelope
from .kafka_bus import ConsumerLoop, Dependency, EventPublisher, broker_reachable
from .resilience import StatusBoard
from .runtime import BackgroundTask
from .settings import KitSettings

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class EnvelopeHandler(Protocol):
    def handles(self, event_type: str) -> bool: ...

    def __call__(self, envelope: Envelope) -> None: ...


def redis_dependency(board: StatusBoard) -> Dependency:
    return Dependency(board.breaker("redis", counts=REDIS_ERRORS), REDIS_ERRORS)


def consumer_tasks(kit: KitSettings, topics: tuple[str, ...], handler: EnvelopeHandler,
                   publisher: EventPublisher, board: StatusBoard,
                   dependencies: tuple[Dependency, ...] = ()) -> list[BackgroundTask]:
    """The service's consumer loop and its retry-topic twin, as background tasks, visible on the board."""
    group = kit.topology.group(kit.service)
    main = ConsumerLoop(kit.kafka_bootstrap, group, topics, handler.handles, handler, publisher,
                        client_id=kit.instance_id, dependencies=dependencies, tracer=publisher.tracer)
    retry = ConsumerLoop.for_retry_topic(main)
    board.provide("consumers", lambda: {loop.group: loop.stats.describe() for loop in (main, retry)})
    return [BackgroundTask(main.name, main.run), BackgroundTask(retry.name, retry.run)]


def readiness_checks(redis_ping: Callable[[], bool]) -> dict[str, Callable[[], bool]]:
    """What gates readiness: the instance's own store. Without it nothing it serves can be right."""
    return {"redis": redis_ping}


def degraded_checks(kit: KitSettings) -> dict[str, Callable[[], bool]]:
    """Reported by /readyz but not gating it: without Kafka the APIs still serve (order queues in its outbox)."""
    return {"kafka": lambda: broker_reachable(kit.kafka_bootstrap)}

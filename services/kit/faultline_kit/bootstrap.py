"""The assembly every service repeats, written once.

`assemble` builds what every instance is made of (clock, stamper, operations board, Redis client, publisher);
each argument replaces the real one by name, so a unit test hands in fakes. A service's own `bootstrap` adds its
adapters on top. `serve` turns the parts into the Flask app: heartbeats and membership, the service's message bus
and its consumer loops, extra background tasks, readiness, and the shared HTTP wiring.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import redis
from flask import Blueprint, Flask
from opentelemetry.sdk.metrics.view import View

from .bus import EventOutlet, MessageBus, Messaging, Outlet
from .clock import LamportClock, WallClock
from .consumer import ConsumerLoop, ConsumerSpec, Dependency
from .messages import EnvelopeStamper
from .publisher import EventPublisher, broker_reachable
from .runtime import BackgroundRuntime, BackgroundTask
from .service_app import Operations, create_service_app
from .settings import KitSettings
from .telemetry import Telemetry, telemetry_for

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
BUS_KEY = "faultline.bus"  # app.extensions[BUS_KEY]: the service's message bus (what its consumer loops feed)


@dataclass(frozen=True)
class Instance:
    """What every instance of every service is made of."""

    kit: KitSettings
    wall: WallClock
    stamper: EnvelopeStamper
    ops: Operations
    redis: redis.Redis
    publisher: EventPublisher

    @property
    def tracer(self):
        return self.ops.tracer

    def outlet(self, topic: str) -> EventOutlet:
        """Where this service's events for `topic` (a base name, namespaced here) are stamped and sent."""
        return EventOutlet(self.stamper, self.kit.topology.name(topic), self.publisher)

    def dependency(self, name: str, errors: tuple[type[BaseException], ...]) -> Dependency:
        """Something the handlers need, guarded by its breaker on this instance's board."""
        return Dependency(self.ops.board.breaker(name, counts=errors), errors)


def assemble(kit: KitSettings, *, telemetry: Telemetry | None = None, views: Sequence[View] = (),
             redis_client: redis.Redis | None = None, publisher: EventPublisher | None = None) -> Instance:
    """The real parts, except those passed in. Nothing connects yet: Redis and Kafka are reached on first use."""
    wall = WallClock(kit.clock_skew_ms)
    ops = Operations.for_instance(kit, wall, telemetry or telemetry_for(kit.service, kit.instance_id, views=views))
    return Instance(kit, wall, EnvelopeStamper(kit.instance_id, LamportClock(), wall), ops,
                    redis_client if redis_client is not None else ops.redis_client(kit),
                    publisher if publisher is not None else ops.publisher(kit))


@dataclass(frozen=True)
class Consuming:
    """A service's consuming side: its declaration, what its handlers may ask for by name, where their events go,
    and the dependencies besides Redis whose outage pauses the loop instead of failing records."""

    messaging: Messaging
    provides: Mapping[str, object]
    outlet: Outlet | None = None
    dependencies: tuple[Dependency, ...] = ()


def message_bus(instance: Instance, consuming: Consuming) -> MessageBus:
    return MessageBus(consuming.messaging.handlers, consuming.provides, instance.stamper, consuming.outlet)


def consumer_tasks(instance: Instance, consuming: Consuming, bus: MessageBus) -> list[BackgroundTask]:
    """The consumer loop feeding `bus` and its retry-topic twin, as background tasks, visible on the board."""
    kit, channels = instance.kit, consuming.messaging.channels
    spec = ConsumerSpec(kit.kafka_bootstrap, kit.topology.group(channels.group or kit.service),
                        tuple(kit.topology.name(topic) for topic in channels.consumes), kit.instance_id)
    dependencies = (instance.dependency("redis", REDIS_ERRORS), *consuming.dependencies)
    main = ConsumerLoop(spec, bus, instance.publisher, dependencies, instance.tracer)
    retry = ConsumerLoop.for_retry_topic(main)
    instance.ops.board.provide("consumers", lambda: {loop.group: loop.stats.describe() for loop in (main, retry)})
    return [BackgroundTask(main.name, main.run), BackgroundTask(retry.name, retry.run)]


def serve(import_name: str, instance: Instance, *, store_ping: Callable[[], bool], openapi: dict[str, Any],
          blueprints: Iterable[Blueprint], consuming: Consuming | None = None,
          tasks: Iterable[BackgroundTask] = ()) -> Flask:
    """The service's app. Readiness is gated by its own store; Kafka, when it uses it, is reported but does not
    gate readiness (without Kafka the APIs still serve: order queues in its outbox)."""
    kit = instance.kit
    cluster, _ = instance.ops.cluster_tasks(kit, instance.stamper)
    bus, consumers, degraded = None, [], None
    if consuming is not None:
        bus = message_bus(instance, consuming)
        consumers = consumer_tasks(instance, consuming, bus)
        degraded = {"kafka": lambda: broker_reachable(kit.kafka_bootstrap)}
    runtime = BackgroundRuntime([*tasks, *cluster, *consumers], on_stop=[instance.publisher.close])
    app = create_service_app(import_name, runtime, readiness={"redis": store_ping}, openapi=openapi,
                             blueprints=list(blueprints), ops=instance.ops, degraded=degraded)
    if bus is not None:
        app.extensions[BUS_KEY] = bus
    return app

"""Wires order: the only place that builds real adapters."""
from __future__ import annotations

from flask import Flask

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.messages import EnvelopeStamper
from faultline_kit.runtime import BackgroundRuntime, BackgroundTask
from faultline_kit.service_app import Operations, create_service_app
from faultline_kit.telemetry import Telemetry
from faultline_kit.wiring import consumer_tasks, degraded_checks, readiness_checks, redis_dependency

from .adapters.order_store import OrderStore
from .adapters.outbox_lease import OutboxLease
from .adapters.outbox_relay import OutboxRelay
from .config import OrderSettings
from .entrypoints.api import order_blueprint
from .entrypoints.consumer import OrderEventHandler, SagaTimer
from .entrypoints.openapi import order_openapi


def create_app(settings: OrderSettings | None = None, telemetry: Telemetry | None = None) -> Flask:
    settings = settings or OrderSettings.from_env()
    kit = settings.kit
    wall = WallClock(kit.clock_skew_ms)
    ops = Operations.for_instance(kit, wall, telemetry)
    client = ops.redis_client(kit)
    stamper = EnvelopeStamper(kit.instance_id, LamportClock(), wall)
    store = OrderStore(client, stamper, kit.topology.orders)
    publisher = ops.publisher(kit)
    lease = OutboxLease(client, holder=kit.instance_id, tracer=ops.tracer)
    relay = OutboxRelay(client, publisher, lease)
    ops.board.provide("outbox", relay.describe)
    cluster, heartbeat = ops.cluster_tasks(kit, stamper)
    heartbeat.on_beat.append(lease.renew)
    handler = OrderEventHandler(store, stamper, wall.now_iso, SagaTimer(ops.telemetry.meter))
    runtime = BackgroundRuntime(
        [*cluster, BackgroundTask(relay.name, relay.run),
         *consumer_tasks(kit, (kit.topology.inventory,), handler, publisher, ops.board,
                         (redis_dependency(ops.board),))],
        on_stop=[publisher.close],
    )
    return create_service_app(
        __name__, runtime,
        readiness=readiness_checks(store.ping),
        openapi=order_openapi(),
        blueprints=[order_blueprint(store, wall.now_iso)],
        ops=ops,
        degraded=degraded_checks(kit),
    )

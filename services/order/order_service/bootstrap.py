"""Builds order's adapters: the only place that knows the real ones. Each argument replaces one by name."""
from __future__ import annotations

from dataclasses import dataclass

from faultline_kit.bootstrap import Instance, assemble
from faultline_kit.telemetry import Telemetry

from . import handlers
from .adapters.order_store import OrderStore
from .adapters.outbox_lease import OutboxLease
from .adapters.outbox_doorbell import OutboxDoorbell
from .adapters.outbox_relay import OutboxRelay
from .adapters.saga_timer import SAGA_VIEW, SagaTimer
from .config import OrderSettings
from .messaging import ORDERS_TOPIC


@dataclass(frozen=True)
class OrderDeps:
    instance: Instance
    orders: OrderStore
    relay: OutboxRelay
    lease: OutboxLease
    saga: handlers.SagaClock


def bootstrap(settings: OrderSettings | None = None, *, telemetry: Telemetry | None = None,
              instance: Instance | None = None, orders: OrderStore | None = None,
              saga: handlers.SagaClock | None = None) -> OrderDeps:
    settings = settings or OrderSettings.from_env()
    instance = instance or assemble(settings.kit, telemetry=telemetry, views=(SAGA_VIEW,))
    lease = OutboxLease(instance.redis, holder=instance.kit.instance_id, tracer=instance.tracer)
    return OrderDeps(
        instance=instance,
        orders=orders or OrderStore(instance.redis, instance.outlet(ORDERS_TOPIC), settings.kit.redis_wait_replicas,
                                   settings.kit.redis_wait_timeout_ms),
        relay=OutboxRelay(instance.redis, instance.publisher, lease, doorbell=OutboxDoorbell(instance.redis)),
        lease=lease,
        saga=saga or SagaTimer(instance.ops.telemetry.meter),
    )

"""Wires inventory: the only place that builds real adapters."""
from __future__ import annotations

import logging
import threading

from flask import Flask

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.messages import EnvelopeStamper
from faultline_kit.runtime import BackgroundRuntime, BackgroundTask
from faultline_kit.service_app import Operations, create_service_app
from faultline_kit.telemetry import Telemetry
from faultline_kit.wiring import consumer_tasks, degraded_checks, readiness_checks, redis_dependency

from .adapters.stock_store import StockStore
from .catalog import seed_products
from .config import InventorySettings
from .entrypoints.api import inventory_blueprint
from .entrypoints.consumer import InventoryEventHandler
from .entrypoints.openapi import inventory_openapi

log = logging.getLogger(__name__)


def _seed_when_redis_answers(store: StockStore):
    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                created = store.seed(seed_products())
                log.info("catalog seeded: %d new products", created)
                return
            except Exception as exc:  # noqa: BLE001 - Redis may still be starting
                log.warning("catalog seed failed, retrying: %r", exc)
                stop.wait(1.0)

    return run


def create_app(settings: InventorySettings | None = None, telemetry: Telemetry | None = None) -> Flask:
    settings = settings or InventorySettings.from_env()
    kit = settings.kit
    wall = WallClock(kit.clock_skew_ms)
    ops = Operations.for_instance(kit, wall, telemetry)
    store = StockStore(ops.redis_client(kit), kit.redis_wait_replicas, kit.redis_wait_timeout_ms)
    publisher = ops.publisher(kit)
    stamper = EnvelopeStamper(kit.instance_id, LamportClock(), wall)
    handler = InventoryEventHandler(store, publisher, stamper, kit.topology.inventory)
    cluster, _ = ops.cluster_tasks(kit, stamper)
    runtime = BackgroundRuntime(
        [BackgroundTask("seed-catalog", _seed_when_redis_answers(store)), *cluster,
         *consumer_tasks(kit, (kit.topology.orders,), handler, publisher, ops.board, (redis_dependency(ops.board),))],
        on_stop=[publisher.close],
    )
    return create_service_app(
        __name__, runtime,
        readiness=readiness_checks(store.ping),
        openapi=inventory_openapi(),
        blueprints=[inventory_blueprint(store, lambda: kit.admin_token)],
        ops=ops,
        degraded=degraded_checks(kit),
    )

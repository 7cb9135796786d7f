"""Wires cart: the only place that builds real adapters."""
from __future__ import annotations

from flask import Flask

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.http_client import ClientPolicy, ServiceClient
from faultline_kit.messages import EnvelopeStamper
from faultline_kit.runtime import BackgroundRuntime
from faultline_kit.service_app import Operations, create_service_app
from faultline_kit.telemetry import Telemetry
from faultline_kit.wiring import readiness_checks

from .adapters.cart_store import CartStore
from .adapters.catalog_cache import CatalogCache
from .adapters.downstream import InventoryCatalog, OrderService
from .config import CartSettings
from .entrypoints.api import cart_blueprint
from .entrypoints.openapi import cart_openapi


def create_app(settings: CartSettings | None = None, telemetry: Telemetry | None = None) -> Flask:
    settings = settings or CartSettings.from_env()
    kit = settings.kit
    wall = WallClock(kit.clock_skew_ms)
    ops = Operations.for_instance(kit, wall, telemetry)
    policy = ClientPolicy.from_settings(kit)
    carts = CartStore(ops.redis_client(kit))
    catalog = InventoryCatalog(ServiceClient("inventory", settings.inventory_url, policy, board=ops.board),
                               CatalogCache(carts.redis))
    orders = OrderService(ServiceClient("order", settings.order_url, policy, board=ops.board))
    heartbeats, _ = ops.cluster_tasks(kit, EnvelopeStamper(kit.instance_id, LamportClock(), wall))
    return create_service_app(
        __name__, BackgroundRuntime(heartbeats),
        readiness=readiness_checks(carts.ping),
        openapi=cart_openapi(),
        blueprints=[cart_blueprint(carts, catalog, orders)],
        ops=ops,
    )

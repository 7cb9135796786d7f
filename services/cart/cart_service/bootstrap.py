"""Builds cart's adapters: the only place that knows the real ones. Each argument replaces one by name."""
from __future__ import annotations

from dataclasses import dataclass

from faultline_kit.bootstrap import Instance, assemble
from faultline_kit.http_client import ClientPolicy, ServiceClient
from faultline_kit.telemetry import Telemetry

from . import handlers
from .adapters.cart_store import CartStore
from .adapters.catalog_cache import CatalogCache
from .adapters.downstream import InventoryCatalog, OrderService
from .config import CartSettings


@dataclass(frozen=True)
class CartDeps:
    instance: Instance
    carts: CartStore
    catalog: handlers.Catalog
    orders: handlers.Orders


def bootstrap(settings: CartSettings | None = None, *, telemetry: Telemetry | None = None,
              instance: Instance | None = None, carts: CartStore | None = None,
              catalog: handlers.Catalog | None = None, orders: handlers.Orders | None = None) -> CartDeps:
    settings = settings or CartSettings.from_env()
    instance = instance or assemble(settings.kit, telemetry=telemetry)
    policy = ClientPolicy.from_settings(settings.kit)
    board = instance.ops.board
    carts = carts or CartStore(instance.redis)
    return CartDeps(
        instance, carts,
        catalog or InventoryCatalog(ServiceClient("inventory", settings.inventory_url, policy, board=board),
                                    CatalogCache(instance.redis)),
        orders or OrderService(ServiceClient("order", settings.order_url, policy, board=board)),
    )

"""Builds inventory's adapters: the only place that knows the real ones. Each argument replaces one by name."""
from __future__ import annotations

from dataclasses import dataclass

from faultline_kit.bootstrap import Instance, assemble
from faultline_kit.bus import Outlet
from faultline_kit.telemetry import Telemetry

from .adapters.stock_store import StockStore
from .config import InventorySettings
from .messaging import INVENTORY_TOPIC


@dataclass(frozen=True)
class InventoryDeps:
    instance: Instance
    store: StockStore
    outlet: Outlet


def bootstrap(settings: InventorySettings | None = None, *, telemetry: Telemetry | None = None,
              instance: Instance | None = None, store: StockStore | None = None,
              outlet: Outlet | None = None) -> InventoryDeps:
    settings = settings or InventorySettings.from_env()
    instance = instance or assemble(settings.kit, telemetry=telemetry)
    kit = instance.kit
    # CP: with wait replicas set (the HA profile), a reservation counts only once a replica holds it.
    store = store or StockStore(instance.redis, kit.redis_wait_replicas, kit.redis_wait_timeout_ms)
    return InventoryDeps(instance, store, outlet or instance.outlet(INVENTORY_TOPIC))

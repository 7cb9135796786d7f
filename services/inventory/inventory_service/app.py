"""create_app(settings=None, deps=None): inventory's app from what `bootstrap` built (real adapters unless given)."""
from __future__ import annotations

import logging
import threading

from flask import Flask

from faultline_kit.bootstrap import Consuming, serve
from faultline_kit.runtime import BackgroundTask

from .adapters.stock_store import StockStore
from .bootstrap import InventoryDeps, bootstrap
from .catalog import seed_products
from .config import InventorySettings
from .entrypoints.api import inventory_blueprint
from .entrypoints.openapi import inventory_openapi
from .messaging import MESSAGING

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


def create_app(settings: InventorySettings | None = None, deps: InventoryDeps | None = None) -> Flask:
    deps = deps or bootstrap(settings)
    kit = deps.instance.kit
    return serve(
        __name__, deps.instance,
        store_ping=deps.store.ping,
        openapi=inventory_openapi(),
        blueprints=[inventory_blueprint(deps.store, lambda: kit.admin_token)],
        # Inventory's answers are published as soon as the reservation is stored (a redelivery answers again).
        consuming=Consuming(MESSAGING, provides={"store": deps.store}, outlet=deps.outlet),
        tasks=[BackgroundTask("seed-catalog", _seed_when_redis_answers(deps.store))],
    )

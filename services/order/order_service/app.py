"""create_app(settings=None, deps=None): order's app from what `bootstrap` built (real adapters unless given)."""
from __future__ import annotations

from flask import Flask

from faultline_kit.bootstrap import Consuming, serve
from faultline_kit.runtime import BackgroundTask

from .bootstrap import OrderDeps, bootstrap
from .config import OrderSettings
from .entrypoints.api import order_blueprint
from .entrypoints.openapi import order_openapi
from .messaging import MESSAGING


def create_app(settings: OrderSettings | None = None, deps: OrderDeps | None = None) -> Flask:
    deps = deps or bootstrap(settings)
    now = deps.instance.wall.now_iso
    deps.instance.ops.board.provide("outbox", deps.relay.describe)
    return serve(
        __name__, deps.instance,
        store_ping=deps.orders.ping,
        openapi=order_openapi(),
        blueprints=[order_blueprint(deps.orders, now)],
        # The outbox is order's outlet: its handlers' events are written with the order, in one transaction.
        consuming=Consuming(MESSAGING, provides={"orders": deps.orders, "now": now, "saga": deps.saga}),
        tasks=[BackgroundTask(deps.lease.name, deps.lease.run), BackgroundTask(deps.relay.name, deps.relay.run)],
    )

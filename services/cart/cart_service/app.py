"""create_app(settings=None, deps=None): cart's app from what `bootstrap` built (real adapters unless given)."""
from __future__ import annotations

from flask import Flask

from faultline_kit.bootstrap import serve

from .bootstrap import CartDeps, bootstrap
from .config import CartSettings
from .entrypoints.api import cart_blueprint
from .entrypoints.openapi import cart_openapi


def create_app(settings: CartSettings | None = None, deps: CartDeps | None = None) -> Flask:
    deps = deps or bootstrap(settings)
    return serve(__name__, deps.instance, store_ping=deps.carts.ping, openapi=cart_openapi(),
                 blueprints=[cart_blueprint(deps.carts, deps.catalog, deps.orders)])

"""Order's OpenAPI document, generated from the declarations on its routes (faultline_kit.openapi)."""
from __future__ import annotations

from faultline_kit.openapi import describe

from .api import order_blueprint


def order_openapi() -> dict:
    return describe("Faultline order", order_blueprint)

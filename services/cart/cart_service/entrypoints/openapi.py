"""Cart's OpenAPI document, generated from the declarations on its routes (faultline_kit.openapi)."""
from __future__ import annotations

from faultline_kit.openapi import describe

from .api import cart_blueprint


def cart_openapi() -> dict:
    return describe("Faultline cart", cart_blueprint)

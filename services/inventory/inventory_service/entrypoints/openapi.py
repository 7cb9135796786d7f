"""Inventory's OpenAPI document, generated from the declarations on its routes (faultline_kit.openapi)."""
from __future__ import annotations

from faultline_kit.openapi import describe

from .api import inventory_blueprint


def inventory_openapi() -> dict:
    return describe("Faultline inventory", inventory_blueprint)

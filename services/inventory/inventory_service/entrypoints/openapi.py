"""Inventory's OpenAPI document."""
from __future__ import annotations

from faultline_kit import openapi as oa

from .api import StockUpdate


def inventory_openapi() -> dict:
    ok = {"200": {"description": "OK"}}
    return oa.document("Faultline inventory", {
        "/products": {"get": oa.operation("List the catalog with stock (or only the SKUs asked for)", ok,
                                          parameters=[{**oa.query_param("sku"), "explode": True,
                                                       "schema": {"type": "array", "items": {"type": "string"},
                                                                  "maxItems": 100}}])},
        "/products/{sku}": {"get": oa.operation("One product", {**ok, "404": oa.problem("unknown SKU")},
                                                 parameters=[oa.path_param("sku")])},
        "/products/{sku}/stock": {"put": {
            **oa.operation("Set available stock (admin)",
                           {**ok, "401": oa.problem("no admin token"), "404": oa.problem("unknown SKU"),
                            "422": oa.problem("invalid body")},
                           body=StockUpdate, parameters=[oa.path_param("sku")]),
            "security": [{"admin": []}]}},
        "/reservations/{order_id}": {"get": oa.operation(
            "The reservation decided for an order", {**ok, "404": oa.problem("no reservation")},
            parameters=[oa.path_param("order_id")])},
    })

"""Cart's OpenAPI document."""
from __future__ import annotations

from faultline_kit import openapi as oa

from .api import Checkout, ItemQuantity


def cart_openapi() -> dict:
    ok = {"200": {"description": "the cart"}}
    cart_id = oa.path_param("cart_id")
    item = [cart_id, oa.path_param("sku")]
    return oa.document("Faultline cart", {
        "/carts/{cart_id}": {"get": oa.operation("A cart (empty when unknown)", ok, parameters=[cart_id])},
        "/carts/{cart_id}/items/{sku}": {
            "put": oa.operation("Set an item's quantity",
                                {**ok, "422": oa.problem("invalid quantity or unknown SKU"),
                                 "503": oa.problem("inventory unavailable")}, body=ItemQuantity, parameters=item),
            "delete": oa.operation("Remove an item", ok, parameters=item),
        },
        "/carts/{cart_id}/checkout": {"post": oa.operation(
            "Check out: price via inventory, create the order with the same Idempotency-Key, empty the cart",
            {"202": {"description": "order accepted (PENDING)"}, "400": oa.problem("missing Idempotency-Key"),
             "409": oa.problem("empty cart or key reused"), "422": oa.problem("invalid body or unknown SKU"),
             "503": oa.problem("inventory or order unavailable (Retry-After)")},
            body=Checkout, parameters=[cart_id, oa.header_param("Idempotency-Key")])},
    })

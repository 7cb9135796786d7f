"""Order's OpenAPI document."""
from __future__ import annotations

from faultline_kit import openapi as oa

from .api import PlaceOrder


def order_openapi() -> dict:
    ok = {"200": {"description": "OK"}}
    order_id = [oa.path_param("order_id")]
    return oa.document("Faultline order", {
        "/orders": {
            "post": oa.operation(
                "Place an order (PENDING); a replayed Idempotency-Key answers the first order",
                {"201": {"description": "created"}, "200": {"description": "replay of the same request"},
                 "400": oa.problem("missing Idempotency-Key"), "409": oa.problem("key reused with another body"),
                 "422": oa.problem("invalid body")},
                body=PlaceOrder, parameters=[oa.header_param("Idempotency-Key")]),
            "get": oa.operation("Orders in placement order", ok,
                                parameters=[oa.query_param("offset", {"type": "integer", "minimum": 0}),
                                            oa.query_param("limit", {"type": "integer", "minimum": 1,
                                                                     "maximum": 1000})]),
        },
        "/orders/{order_id}": {"get": oa.operation("One order", {**ok, "404": oa.problem("unknown order")},
                                                   parameters=order_id)},
        "/orders/{order_id}/cancel": {"post": oa.operation(
            "Cancel a CONFIRMED order (idempotent)",
            {**ok, "404": oa.problem("unknown order"), "409": oa.problem("not CONFIRMED")}, parameters=order_id)},
    })

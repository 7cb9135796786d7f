"""HTTP -> order commands."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.openapi import ApiDoc
from faultline_kit.problems import PageQuery, PageRequest, Problem, parse_body

from .. import handlers
from ..adapters.order_store import IdempotencyConflict, OrderStore
from ..domain import InvalidTransition, Order, OrderLine, order_id_for

EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"
IDEMPOTENCY_KEY_MAX = 128


class OrderLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    quantity: int = Field(ge=1, le=1000)
    unit_price_cents: int = Field(ge=0, le=100_000_000)


class PlaceOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cart_id: str = Field(default="", max_length=64)
    email: str = Field(pattern=EMAIL_PATTERN)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)


class IdempotencyKey(BaseModel):
    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=IDEMPOTENCY_KEY_MAX,
                                 description="a retry with the same key answers the first order")


def order_json(order: Order) -> dict:
    return {
        "order_id": order.order_id, "status": order.status.value, "version": order.version,
        "cart_id": order.cart_id, "email": order.email, "idempotency_key": order.idempotency_key,
        "lines": [{"sku": l.sku, "quantity": l.quantity, "unit_price_cents": l.unit_price_cents} for l in order.lines],
        "total_cents": order.total_cents, "reason": order.reason,
        "created_at": order.created_at, "updated_at": order.updated_at,
    }


def required_idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise Problem(400, "Missing Idempotency-Key", "header Idempotency-Key is required so a retry never "
                      "creates a second order", errors=[{"field": "Idempotency-Key", "message": "required"}])
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise Problem(400, "Invalid Idempotency-Key", f"header Idempotency-Key is longer than {IDEMPOTENCY_KEY_MAX}",
                      errors=[{"field": "Idempotency-Key", "message": "too long"}])
    return key



def order_blueprint(store: OrderStore, now: Callable[[], str]) -> Blueprint:
    api = Blueprint("order", __name__)
    doc = ApiDoc(api)

    @api.post("/orders")
    @doc.route(ok={201: "created", 200: "replay of the same request"},
               problems={400: "missing Idempotency-Key", 409: "key reused with another body", 422: "invalid body"},
               json=PlaceOrder, headers=IdempotencyKey)
    def place():
        """Place an order (PENDING); a replayed Idempotency-Key answers the first order"""
        key = required_idempotency_key()
        body: PlaceOrder = parse_body(request, PlaceOrder)  # type: ignore[assignment]
        lines = tuple(OrderLine(l.sku, l.quantity, l.unit_price_cents) for l in body.lines)
        order = Order.place(order_id_for(key), key, body.cart_id, body.email, lines, now())
        try:
            stored, created = handlers.place_order(order, store)
        except IdempotencyConflict as exc:
            raise Problem(409, "Idempotency-Key reused", str(exc)) from exc
        response = jsonify(order_json(stored))
        response.status_code = 201 if created else 200
        response.headers["Location"] = f"/orders/{stored.order_id}"
        return response

    @api.get("/orders")
    @doc.route(ok={200: "OK"}, problems={400: "bad paging"}, query=PageQuery)
    def list_orders():
        """Orders in placement order"""
        page = PageRequest.of(request)
        orders, total = store.page(page.offset, page.limit)
        return jsonify(page.body("orders", [order_json(o) for o in orders], total))

    @api.get("/orders/<order_id>")
    @doc.route(ok={200: "OK"}, problems={404: "unknown order"})
    def get(order_id: str):
        """One order"""
        order = store.get(order_id)
        if order is None:
            raise Problem(404, "Order not found", f"no order {order_id!r}")
        return jsonify(order_json(order))

    @api.post("/orders/<order_id>/cancel")
    @doc.route(ok={200: "OK"}, problems={404: "unknown order", 409: "not CONFIRMED"})
    def cancel(order_id: str):
        """Cancel a CONFIRMED order (idempotent)"""
        try:
            order = handlers.cancel_order(order_id, store, now)
        except KeyError:
            raise Problem(404, "Order not found", f"no order {order_id!r}") from None
        except InvalidTransition as exc:
            raise Problem(409, "Order cannot be cancelled", str(exc)) from exc
        return jsonify(order_json(order))

    return api

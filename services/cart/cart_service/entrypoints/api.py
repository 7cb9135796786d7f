"""HTTP -> cart commands."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.http_client import DownstreamUnavailable
from faultline_kit.problems import Problem, parse_body

from .. import handlers
from ..adapters.downstream import OrderRefused
from ..domain import MAX_QUANTITY, Cart, EmptyCart, PricedLine, UnknownProduct

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"
RETRY_AFTER_S = "5"


class ItemQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class Checkout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(pattern=EMAIL_PATTERN)


class PathIds(BaseModel):
    cart_id: str = Field(pattern=ID_PATTERN)
    sku: str = Field(default="X", pattern=ID_PATTERN)


def cart_json(cart: Cart, lines: tuple[PricedLine, ...]) -> dict:
    return {"cart_id": cart.cart_id,
            "items": [{"sku": l.sku, "quantity": l.quantity, "unit_price_cents": l.unit_price_cents,
                       "stale": l.stale} for l in lines],
            "total_cents": sum(l.subtotal_cents for l in lines),
            "stale": any(l.stale for l in lines)}


def unavailable(exc: DownstreamUnavailable) -> Problem:
    return Problem(503, f"{exc.downstream.capitalize()} unavailable",
                   f"{exc.reason}; try again later", headers={"Retry-After": RETRY_AFTER_S})


def unknown_sku(exc: UnknownProduct) -> Problem:
    return Problem(422, "Unknown product", str(exc), errors=[{"field": "sku", "message": f"unknown SKU {exc.sku}"}])


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 128:
        raise Problem(400, "Missing or invalid Idempotency-Key",
                      "checkout needs an Idempotency-Key header (1-128 characters) so a retry never pays twice",
                      errors=[{"field": "Idempotency-Key", "message": "required, 1-128 characters"}])
    return key


def cart_blueprint(carts: handlers.CartRepository, catalog: handlers.Catalog, orders: handlers.Orders) -> Blueprint:
    api = Blueprint("cart", __name__)

    @api.url_value_preprocessor
    def _validate_ids(endpoint, values):
        if values:
            PathIds.model_validate(values)

    def priced(cart_id: str):
        try:
            return jsonify(cart_json(*handlers.view_cart(cart_id, carts, catalog)))
        except UnknownProduct as exc:
            raise unknown_sku(exc) from exc
        except DownstreamUnavailable as exc:
            raise unavailable(exc) from exc

    @api.get("/carts/<cart_id>")
    def get_cart(cart_id: str):
        return priced(cart_id)

    @api.put("/carts/<cart_id>/items/<sku>")
    def put_item(cart_id: str, sku: str):
        body: ItemQuantity = parse_body(request, ItemQuantity)  # type: ignore[assignment]
        try:
            handlers.set_item(cart_id, sku, body.quantity, carts, catalog)
        except UnknownProduct as exc:
            raise unknown_sku(exc) from exc
        except DownstreamUnavailable as exc:
            raise unavailable(exc) from exc
        return priced(cart_id)

    @api.delete("/carts/<cart_id>/items/<sku>")
    def delete_item(cart_id: str, sku: str):
        carts.remove(cart_id, sku)
        return priced(cart_id)

    @api.post("/carts/<cart_id>/checkout")
    def checkout(cart_id: str):
        key = idempotency_key()
        body: Checkout = parse_body(request, Checkout)  # type: ignore[assignment]
        try:
            result = handlers.checkout(cart_id, body.email, key, carts, catalog, orders)
        except EmptyCart as exc:
            raise Problem(409, "Cart is empty", str(exc)) from exc
        except UnknownProduct as exc:
            raise unknown_sku(exc) from exc
        except DownstreamUnavailable as exc:
            raise unavailable(exc) from exc
        except OrderRefused as exc:
            raise Problem(exc.status if exc.status in (409, 422) else 422, "Order refused", str(exc)) from exc
        response = jsonify(order_id=result.order_id, cart_id=result.cart_id, total_cents=result.total_cents,
                           prices_stale=result.prices_stale, status="PENDING", order_url=f"/orders/{result.order_id}")
        response.status_code = 202
        return response

    return api

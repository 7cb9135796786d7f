"""HTTP -> cart commands."""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.http_client import DownstreamUnavailable
from faultline_kit.openapi import ApiDoc
from faultline_kit.problems import Problem, parse_body

from .. import handlers
from ..adapters.downstream import OrderRefused
from ..domain import MAX_QUANTITY, Cart, EmptyCart, PricedLine, UnknownProduct

ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$"
RETRY_AFTER_S = "5"
IDEMPOTENCY_KEY_MAX = 128


class ItemQuantity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class Checkout(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(pattern=EMAIL_PATTERN)


class IdempotencyKey(BaseModel):
    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=IDEMPOTENCY_KEY_MAX,
                                 description="the order is created with the same key, so a retry never pays twice")


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
    if not key or len(key) > IDEMPOTENCY_KEY_MAX:
        raise Problem(400, "Missing or invalid Idempotency-Key",
                      "checkout needs an Idempotency-Key header (1-128 characters) so a retry never pays twice",
                      errors=[{"field": "Idempotency-Key", "message": "required, 1-128 characters"}])
    return key


def cart_blueprint(carts: handlers.CartRepository, catalog: handlers.Catalog, orders: handlers.Orders) -> Blueprint:
    api = Blueprint("cart", __name__)
    doc = ApiDoc(api)
    ok = {200: "the cart"}

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
    @doc.route(ok=ok, problems={422: "invalid cart id", 503: "inventory unavailable"})
    def get_cart(cart_id: str):
        """A cart (empty when unknown)"""
        return priced(cart_id)

    @api.put("/carts/<cart_id>/items/<sku>")
    @doc.route(ok=ok, problems={422: "invalid quantity or unknown SKU", 503: "inventory unavailable"},
               json=ItemQuantity)
    def put_item(cart_id: str, sku: str):
        """Set an item's quantity"""
        body: ItemQuantity = parse_body(request, ItemQuantity)  # type: ignore[assignment]
        try:
            handlers.set_item(cart_id, sku, body.quantity, carts, catalog)
        except UnknownProduct as exc:
            raise unknown_sku(exc) from exc
        except DownstreamUnavailable as exc:
            raise unavailable(exc) from exc
        return priced(cart_id)

    @api.delete("/carts/<cart_id>/items/<sku>")
    @doc.route(ok=ok, problems={422: "invalid cart id or SKU", 503: "inventory unavailable"})
    def delete_item(cart_id: str, sku: str):
        """Remove an item"""
        carts.remove(cart_id, sku)
        return priced(cart_id)

    @api.post("/carts/<cart_id>/checkout")
    @doc.route(ok={202: "order accepted (PENDING)"},
               problems={400: "missing Idempotency-Key", 409: "empty cart or key reused",
                         422: "invalid body or unknown SKU", 503: "inventory or order unavailable (Retry-After)"},
               json=Checkout, headers=IdempotencyKey)
    def checkout(cart_id: str):
        """Check out: price via inventory, create the order with the same Idempotency-Key, empty the cart"""
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

"""HTTP -> store calls for the catalog and stock."""
from __future__ import annotations

from typing import Callable

from flask import Blueprint, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from faultline_kit.health import admin_only
from faultline_kit.openapi import ADMIN, ApiDoc
from faultline_kit.problems import Problem, parse_body

from ..adapters.stock_store import StockStore
from ..domain import Product, Reservation

MAX_SKUS_PER_QUERY = 100


class StockUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    available: int = Field(ge=0, le=1_000_000, description="units that can be sold from now on")


class SkuQuery(BaseModel):
    sku: list[str] = Field(default_factory=list, max_length=MAX_SKUS_PER_QUERY, json_schema_extra={"explode": True},
                           description="only these SKUs (repeat the parameter); all when absent")


def product_json(product: Product) -> dict:
    return {"sku": product.sku, "name": product.name, "price_cents": product.price_cents,
            "available": product.available, "total": product.total}


def reservation_json(reservation: Reservation) -> dict:
    return {"order_id": reservation.order_id, "status": reservation.status.value, "reason": reservation.reason,
            "lines": [{"sku": l.sku, "quantity": l.quantity} for l in reservation.lines]}


def _not_found(what: str, key: str) -> Problem:
    return Problem(404, f"{what} not found", f"no {what.lower()} {key!r}")


def inventory_blueprint(store: StockStore, admin_token: Callable[[], str]) -> Blueprint:
    api = Blueprint("inventory", __name__)
    doc = ApiDoc(api)

    @api.get("/products")
    @doc.route(ok={200: "OK"}, problems={400: "too many SKUs"}, query=SkuQuery)
    def list_products():
        """List the catalog with stock (or only the SKUs asked for)

        `?sku=A&sku=B` narrows it to those SKUs (unknown ones are simply absent)."""
        skus = request.args.getlist("sku")
        if len(skus) > MAX_SKUS_PER_QUERY:
            raise Problem(400, "Too many SKUs", f"at most {MAX_SKUS_PER_QUERY} sku parameters",
                          errors=[{"field": "sku", "message": f"at most {MAX_SKUS_PER_QUERY}"}])
        return jsonify(products=[product_json(p) for p in store.products(skus or None)])

    @api.get("/products/<sku>")
    @doc.route(ok={200: "OK"}, problems={404: "unknown SKU"})
    def get_product(sku: str):
        """One product"""
        product = store.product(sku)
        if product is None:
            raise _not_found("Product", sku)
        return jsonify(product_json(product))

    @api.put("/products/<sku>/stock")
    @doc.route(ok={200: "OK"}, problems={401: "no admin token", 404: "unknown SKU", 422: "invalid body"},
               json=StockUpdate, security=ADMIN)
    @admin_only(admin_token)
    def set_stock(sku: str):
        """Set available stock (admin)"""
        update: StockUpdate = parse_body(request, StockUpdate)  # type: ignore[assignment]
        product = store.set_available(sku, update.available)
        if product is None:
            raise _not_found("Product", sku)
        return jsonify(product_json(product))

    @api.get("/reservations/<order_id>")
    @doc.route(ok={200: "OK"}, problems={404: "no reservation"})
    def get_reservation(order_id: str):
        """The reservation decided for an order"""
        reservation = store.reservation(order_id)
        if reservation is None:
            raise _not_found("Reservation", order_id)
        return jsonify(reservation_json(reservation))

    return api

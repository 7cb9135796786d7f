"""Cart's view of inventory and order over REST, through the kit's resilient client."""
from __future__ import annotations

from typing import Any

from faultline_kit.http_client import DownstreamUnavailable, ServiceClient

from ..domain import PricedLine, Quote
from .catalog_cache import CatalogCache


class OrderRefused(Exception):
    """Order answered 4xx: the request itself is wrong, retrying cannot help."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem


def _json(response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class InventoryCatalog:
    """Prices from inventory; while inventory is unreachable, the last price seen, marked stale.

    Availability over consistency: a customer can still fill a cart and check out at yesterday's price; the stock
    itself is only ever decided by inventory, when it processes the order.
    """

    def __init__(self, client: ServiceClient, cache: CatalogCache) -> None:
        self.client = client
        self.cache = cache

    def quote(self, sku: str) -> Quote | None:
        """The SKU's price, None when the catalog does not know it."""
        return self.quotes([sku])[sku]

    def quotes(self, skus: list[str]) -> dict[str, Quote | None]:
        """Prices for every SKU in one request; None for SKUs the catalog does not know."""
        if not skus:
            return {}
        try:
            response = self.client.get("/products", params={"sku": skus})
        except DownstreamUnavailable:
            return self._cached(skus)
        if response.status_code != 200:
            raise DownstreamUnavailable("inventory", f"HTTP {response.status_code} pricing {len(skus)} SKUs")
        prices = {p["sku"]: int(p["price_cents"]) for p in response.json()["products"]}
        for sku, price in prices.items():
            self.cache.remember(sku, price)
        return {sku: Quote(prices[sku]) if sku in prices else None for sku in skus}

    def _cached(self, skus: list[str]) -> dict[str, Quote | None]:
        quotes = {}
        for sku in skus:
            cached = self.cache.recall(sku)
            if cached is None:
                raise DownstreamUnavailable("inventory", f"unreachable, and no cached price for {sku}")
            quotes[sku] = Quote(cached, stale=True)
        return quotes


class OrderService:
    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def place(self, idempotency_key: str, cart_id: str, email: str, lines: tuple[PricedLine, ...]) -> str:
        body = {"cart_id": cart_id, "email": email,
                "lines": [{"sku": l.sku, "quantity": l.quantity, "unit_price_cents": l.unit_price_cents}
                          for l in lines]}
        response = self.client.post("/orders", idempotency_key=idempotency_key, json=body)
        if response.status_code in (200, 201):
            return str(response.json()["order_id"])
        raise OrderRefused(response.status_code, _json(response))

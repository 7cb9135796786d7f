"""Carts and finished checkouts in Redis."""
from __future__ import annotations

import json

import redis

from ..domain import Cart, CheckoutResult

PREFIX = "cart"
CHECKOUT_TTL_S = 7 * 24 * 3600


def _cart_key(cart_id: str) -> str:
    return f"{PREFIX}:cart:{cart_id}"


def _checkout_key(idempotency_key: str) -> str:
    return f"{PREFIX}:checkout:{idempotency_key}"


class CartStore:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def ping(self) -> bool:
        return bool(self.redis.ping())

    def get(self, cart_id: str) -> Cart:
        items = self.redis.hgetall(_cart_key(cart_id))
        return Cart(cart_id, {sku: int(qty) for sku, qty in items.items()})

    def set_quantity(self, cart_id: str, sku: str, quantity: int) -> Cart:
        self.redis.hset(_cart_key(cart_id), sku, quantity)
        return self.get(cart_id)

    def remove(self, cart_id: str, sku: str) -> Cart:
        self.redis.hdel(_cart_key(cart_id), sku)
        return self.get(cart_id)

    def checkout_result(self, idempotency_key: str) -> CheckoutResult | None:
        raw = self.redis.get(_checkout_key(idempotency_key))
        if not raw:
            return None
        doc = json.loads(raw)
        return CheckoutResult(doc["cart_id"], doc["order_id"], int(doc["total_cents"]), bool(doc.get("prices_stale")))

    def complete_checkout(self, idempotency_key: str, result: CheckoutResult) -> None:
        """Remember the checkout for replays and empty the cart, together."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(_checkout_key(idempotency_key), json.dumps(result.__dict__), ex=CHECKOUT_TTL_S)
            pipe.delete(_cart_key(result.cart_id))
            pipe.execute()

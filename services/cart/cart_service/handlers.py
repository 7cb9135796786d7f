"""Cart commands: plain functions over a store and the downstream ports."""
from __future__ import annotations

from typing import Protocol

from .domain import MAX_QUANTITY, Cart, CheckoutResult, PricedLine, Quote, UnknownProduct, checkout_lines, price_lines


class CartRepository(Protocol):
    def get(self, cart_id: str) -> Cart: ...

    def set_quantity(self, cart_id: str, sku: str, quantity: int) -> Cart: ...

    def remove(self, cart_id: str, sku: str) -> Cart: ...

    def checkout_result(self, idempotency_key: str) -> CheckoutResult | None: ...

    def complete_checkout(self, idempotency_key: str, result: CheckoutResult) -> None: ...


class Catalog(Protocol):
    def quote(self, sku: str) -> Quote | None: ...

    def quotes(self, skus: list[str]) -> dict[str, Quote | None]: ...


class Orders(Protocol):
    def place(self, idempotency_key: str, cart_id: str, email: str, lines: tuple[PricedLine, ...]) -> str: ...


def set_item(cart_id: str, sku: str, quantity: int, carts: CartRepository, catalog: Catalog) -> Cart:
    """Put `quantity` of a SKU the catalog knows into the cart (replacing what was there)."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be 1..{MAX_QUANTITY}")
    if catalog.quote(sku) is None:
        raise UnknownProduct(sku)
    return carts.set_quantity(cart_id, sku, quantity)


def view_cart(cart_id: str, carts: CartRepository, catalog: Catalog) -> tuple[Cart, tuple[PricedLine, ...]]:
    """The cart with current prices (cached ones marked stale while inventory is unreachable)."""
    cart = carts.get(cart_id)
    return cart, price_lines(cart, catalog.quotes(sorted(cart.items)))


def checkout(cart_id: str, email: str, idempotency_key: str, carts: CartRepository, catalog: Catalog,
             orders: Orders) -> CheckoutResult:
    """Price the cart, create the order with the same key, then empty the cart. Replays answer the first result."""
    done = carts.checkout_result(idempotency_key)
    if done is not None:
        return done
    cart = carts.get(cart_id)
    lines = checkout_lines(cart, catalog.quotes(sorted(cart.items)))
    order_id = orders.place(idempotency_key, cart_id, email, lines)
    result = CheckoutResult(cart_id, order_id, sum(l.subtotal_cents for l in lines), any(l.stale for l in lines))
    carts.complete_checkout(idempotency_key, result)
    return result

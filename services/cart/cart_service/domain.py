"""Carts and checkout pricing. Pure: no I/O."""
from __future__ import annotations

from dataclasses import dataclass

MAX_QUANTITY = 1000


class EmptyCart(Exception):
    pass


class UnknownProduct(Exception):
    def __init__(self, sku: str) -> None:
        super().__init__(f"unknown SKU {sku}")
        self.sku = sku


@dataclass(frozen=True)
class Cart:
    cart_id: str
    items: dict[str, int]

    @property
    def empty(self) -> bool:
        return not self.items


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price_cents: int


@dataclass(frozen=True)
class CheckoutResult:
    cart_id: str
    order_id: str
    total_cents: int


def price_lines(cart: Cart, prices: dict[str, int | None]) -> tuple[PricedLine, ...]:
    """One line per item with its current price; an item no longer in the catalog fails the checkout."""
    if cart.empty:
        raise EmptyCart(f"cart {cart.cart_id} is empty")
    lines = []
    for sku, quantity in sorted(cart.items.items()):
        price = prices.get(sku)
        if price is None:
            raise UnknownProduct(sku)
        lines.append(PricedLine(sku, quantity, price))
    return tuple(lines)

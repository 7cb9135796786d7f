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
class Quote:
    """A price, and whether it came from the cart's cached catalog because inventory did not answer."""

    price_cents: int
    stale: bool = False


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price_cents: int
    stale: bool = False

    @property
    def subtotal_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class CheckoutResult:
    cart_id: str
    order_id: str
    total_cents: int
    prices_stale: bool = False


def price_lines(cart: Cart, quotes: dict[str, Quote | None]) -> tuple[PricedLine, ...]:
    """One line per item with its price; an item the catalog does not know fails."""
    lines = []
    for sku, quantity in sorted(cart.items.items()):
        quote = quotes.get(sku)
        if quote is None:
            raise UnknownProduct(sku)
        lines.append(PricedLine(sku, quantity, quote.price_cents, quote.stale))
    return tuple(lines)


def checkout_lines(cart: Cart, quotes: dict[str, Quote | None]) -> tuple[PricedLine, ...]:
    if cart.empty:
        raise EmptyCart(f"cart {cart.cart_id} is empty")
    return price_lines(cart, quotes)

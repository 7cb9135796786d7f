"""In-memory stand-ins for cart's store and its downstream ports."""
from cart_service.domain import Cart, CheckoutResult, Quote
from faultline_kit.http_client import DownstreamUnavailable


class FakeCarts:
    def __init__(self):
        self.carts: dict[str, dict[str, int]] = {}
        self.results: dict[str, CheckoutResult] = {}

    def ping(self):
        return True

    def get(self, cart_id):
        return Cart(cart_id, dict(self.carts.get(cart_id, {})))

    def set_quantity(self, cart_id, sku, quantity):
        self.carts.setdefault(cart_id, {})[sku] = quantity
        return self.get(cart_id)

    def remove(self, cart_id, sku):
        self.carts.get(cart_id, {}).pop(sku, None)
        return self.get(cart_id)

    def checkout_result(self, key):
        return self.results.get(key)

    def complete_checkout(self, key, result):
        self.results[key] = result
        self.carts.pop(result.cart_id, None)


class FakeCatalog:
    def __init__(self, prices, down=False):
        self.prices = prices
        self.down = down

    def quote(self, sku):
        if self.down:
            raise DownstreamUnavailable("inventory", "down")
        price = self.prices.get(sku)
        return None if price is None else Quote(price)

    def quotes(self, skus):
        return {sku: self.quote(sku) for sku in skus}


class FakeOrders:
    def __init__(self, down=False):
        self.calls = []
        self.down = down

    def place(self, key, cart_id, email, lines):
        if self.down:
            raise DownstreamUnavailable("order", "down")
        self.calls.append((key, cart_id, email, lines))
        return f"order-for-{key}"

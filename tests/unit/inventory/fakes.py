"""An in-memory stand-in for inventory's stock store, deciding with the same domain rules."""
from inventory_service.domain import Product, Reservation, decide_reservation, release, stock_after_reservation


class FakeStore:
    def __init__(self, available, prices=None):
        self.available = dict(available)
        self.prices = dict(prices or {})
        self.totals = dict(available)
        self.reservations: dict[str, Reservation] = {}

    def ping(self):
        return True

    def product(self, sku):
        if sku not in self.available:
            return None
        return Product(sku, sku.lower(), self.prices.get(sku, 100), self.available[sku], self.totals[sku])

    def products(self, skus=None):
        return [self.product(sku) for sku in sorted(self.available) if skus is None or sku in skus]

    def set_available(self, sku, available):
        product = self.product(sku)
        if product is None:
            return None
        moved = product.with_available(available)
        self.available[sku], self.totals[sku] = moved.available, moved.total
        return moved

    def reservation(self, order_id):
        return self.reservations.get(order_id)

    def reserve(self, order_id, lines):
        if order_id not in self.reservations:
            decision = decide_reservation(order_id, lines, self.available)
            self.available.update(stock_after_reservation(decision, self.available))
            self.reservations[order_id] = decision
        return self.reservations[order_id]

    def release(self, order_id):
        released = release(self.reservations[order_id]) if order_id in self.reservations else None
        if released:
            self.reservations[order_id] = released
            for line in released.lines:
                self.available[line.sku] += line.quantity
        return released

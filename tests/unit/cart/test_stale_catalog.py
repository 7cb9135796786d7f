"""Availability over consistency: cart prices from its cache, marked stale, while inventory is unreachable."""
import pytest

from cart_service.adapters.downstream import InventoryCatalog
from cart_service.domain import Quote
from faultline_kit.http_client import DownstreamUnavailable


class Response:
    def __init__(self, status, body=None):
        self.status_code = status
        self._body = body or {}

    def json(self):
        return self._body


class FakeClient:
    def __init__(self):
        self.down = False
        self.products = {"A": 1299}

    def get(self, path, params=None):
        if self.down:
            raise DownstreamUnavailable("inventory", "circuit breaker open", breaker_open=True)
        assert path == "/products"
        self.calls = getattr(self, "calls", 0) + 1
        return Response(200, {"products": [{"sku": sku, "price_cents": self.products[sku]}
                                           for sku in params["sku"] if sku in self.products]})


class MemoryCache:
    def __init__(self):
        self.prices = {}

    def remember(self, sku, price):
        self.prices[sku] = price

    def recall(self, sku):
        return self.prices.get(sku)


def test_a_fresh_price_is_remembered_and_not_stale():
    client, cache = FakeClient(), MemoryCache()
    assert InventoryCatalog(client, cache).quote("A") == Quote(1299)
    assert cache.prices == {"A": 1299}


def test_while_inventory_is_down_the_last_price_is_served_as_stale():
    client, cache = FakeClient(), MemoryCache()
    catalog = InventoryCatalog(client, cache)
    catalog.quote("A")
    client.down = True
    assert catalog.quote("A") == Quote(1299, stale=True)


def test_a_sku_never_seen_cannot_be_priced_while_inventory_is_down():
    client = FakeClient()
    client.down = True
    with pytest.raises(DownstreamUnavailable):
        InventoryCatalog(client, MemoryCache()).quote("A")


def test_an_unknown_sku_is_unknown_not_stale():
    assert InventoryCatalog(FakeClient(), MemoryCache()).quote("NOPE") is None


def test_a_whole_cart_is_priced_in_one_request():
    client = FakeClient()
    client.products = {"A": 100, "B": 200}
    quotes = InventoryCatalog(client, MemoryCache()).quotes(["A", "B", "C"])
    assert quotes == {"A": Quote(100), "B": Quote(200), "C": None} and client.calls == 1

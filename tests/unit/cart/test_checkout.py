import pytest

from cart_service import handlers
from cart_service.domain import (Cart, CheckoutResult, EmptyCart, PricedLine, Quote, UnknownProduct, checkout_lines,
                                 price_lines)
from faultline_kit.http_client import DownstreamUnavailable

from .fakes import FakeCarts, FakeCatalog, FakeOrders


def test_pricing_uses_current_prices_in_sku_order():
    lines = price_lines(Cart("c", {"B": 1, "A": 2}), {"A": Quote(100), "B": Quote(250, stale=True)})
    assert lines == (PricedLine("A", 2, 100), PricedLine("B", 1, 250, stale=True))


def test_checking_out_an_empty_cart_fails():
    with pytest.raises(EmptyCart):
        checkout_lines(Cart("c", {}), {})


def test_pricing_an_item_gone_from_the_catalog_fails_naming_it():
    with pytest.raises(UnknownProduct) as exc:
        price_lines(Cart("c", {"GONE": 1}), {"GONE": None})
    assert exc.value.sku == "GONE"


def test_adding_an_unknown_sku_is_refused():
    with pytest.raises(UnknownProduct):
        handlers.set_item("c", "NOPE", 1, FakeCarts(), FakeCatalog({}))


def test_checkout_creates_the_order_with_the_same_key_then_empties_the_cart():
    carts, orders = FakeCarts(), FakeOrders()
    handlers.set_item("c", "A", 2, carts, FakeCatalog({"A": 100}))
    result = handlers.checkout("c", "a@b.io", "key-1", carts, FakeCatalog({"A": 100}), orders)
    assert result == CheckoutResult("c", "order-for-key-1", 200)
    assert orders.calls == [("key-1", "c", "a@b.io", (PricedLine("A", 2, 100),))]
    assert carts.get("c").empty


def test_a_replayed_checkout_answers_the_first_order_without_calling_order_again():
    carts, orders = FakeCarts(), FakeOrders()
    carts.set_quantity("c", "A", 1)
    first = handlers.checkout("c", "a@b.io", "key-1", carts, FakeCatalog({"A": 100}), orders)
    again = handlers.checkout("c", "a@b.io", "key-1", carts, FakeCatalog({"A": 100}), orders)
    assert again == first and len(orders.calls) == 1


def test_the_cart_is_kept_when_order_is_unavailable():
    carts = FakeCarts()
    carts.set_quantity("c", "A", 1)
    with pytest.raises(DownstreamUnavailable):
        handlers.checkout("c", "a@b.io", "key-1", carts, FakeCatalog({"A": 100}), FakeOrders(down=True))
    assert carts.get("c").items == {"A": 1}
    assert carts.checkout_result("key-1") is None


def test_viewing_a_cart_prices_every_item():
    carts = FakeCarts()
    carts.set_quantity("c", "A", 3)
    cart, lines = handlers.view_cart("c", carts, FakeCatalog({"A": 100}))
    assert lines == (PricedLine("A", 3, 100),) and sum(l.subtotal_cents for l in lines) == 300


def test_a_checkout_priced_from_the_cache_says_so():
    class StaleCatalog(FakeCatalog):
        def quote(self, sku):
            return Quote(self.prices[sku], stale=True)

    carts = FakeCarts()
    carts.set_quantity("c", "A", 1)
    result = handlers.checkout("c", "a@b.io", "k", carts, StaleCatalog({"A": 100}), FakeOrders())
    assert result.prices_stale and result.total_cents == 100

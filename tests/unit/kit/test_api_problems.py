"""Bad input gets a 4xx JSON problem naming the field, before any store is touched (no Redis needed)."""
import pytest

from cart_service.app import create_app as create_cart
from inventory_service.app import create_app as create_inventory
from order_service.app import create_app as create_order

UNREACHABLE = {"FAULTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "FAULTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
               "FAULTLINE_ADMIN_TOKEN": "secret"}


@pytest.fixture
def env(monkeypatch):
    for name, value in UNREACHABLE.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def order(env):
    return create_order().test_client()


@pytest.fixture
def cart(env):
    return create_cart().test_client()


def assert_problem(response, status, field=None):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"]
    if field:
        assert field in [e["field"] for e in body.get("errors", [])], body


def test_an_order_without_idempotency_key_is_refused_naming_the_header(order):
    assert_problem(order.post("/orders", json={}), 400, "Idempotency-Key")


def test_an_order_body_that_is_not_json_is_refused(order):
    response = order.post("/orders", data="{oops", headers={"Idempotency-Key": "k",
                                                            "Content-Type": "application/json"})
    assert_problem(response, 400)


def test_a_non_json_content_type_is_refused(order):
    assert_problem(order.post("/orders", data="x", headers={"Idempotency-Key": "k"}), 415)


@pytest.mark.parametrize("body, field", [
    ({"email": "not-an-email", "lines": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}]}, "email"),
    ({"email": "a@b.io", "lines": []}, "lines"),
    ({"email": "a@b.io", "lines": [{"sku": "A", "quantity": -1, "unit_price_cents": 1}]}, "lines.0.quantity"),
    ({"email": "a@b.io", "lines": [{"sku": "A", "quantity": 1}]}, "lines.0.unit_price_cents"),
    ({"email": "a@b.io", "lines": [{"sku": "A", "quantity": 1, "unit_price_cents": 1}], "extra": 1}, "extra"),
])
def test_an_invalid_order_body_names_the_field(order, body, field):
    assert_problem(order.post("/orders", json=body, headers={"Idempotency-Key": "k"}), 422, field)


def test_paging_parameters_are_checked(order):
    assert_problem(order.get("/orders?limit=0"), 400, "limit")


def test_unknown_routes_and_methods_answer_problems(order):
    assert_problem(order.get("/nope"), 404)
    assert_problem(order.delete("/orders"), 405)


def test_a_negative_cart_quantity_is_refused_naming_the_field(cart):
    assert_problem(cart.put("/carts/c1/items/FL-001", json={"quantity": -2}), 422, "quantity")


def test_a_bad_cart_id_is_refused_naming_it(cart):
    assert_problem(cart.get("/carts/" + "x" * 80), 422, "cart_id")


def test_checkout_needs_an_idempotency_key(cart):
    assert_problem(cart.post("/carts/c1/checkout", json={"email": "a@b.io"}), 400, "Idempotency-Key")


def test_admin_routes_need_the_bearer_token(env):
    inventory = create_inventory().test_client()
    assert_problem(inventory.put("/products/FL-001/stock", json={"available": 1}), 401)
    wrong = {"Authorization": "Bearer nope"}
    assert_problem(inventory.put("/products/FL-001/stock", json={"available": 1}, headers=wrong), 401)


def test_readiness_is_503_without_redis_and_reports_kafka_as_degraded(order):
    response = order.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["redis"] is False
    assert body["degraded"] == {"kafka": True}


def test_every_service_describes_its_api(order, cart):
    assert "/orders" in order.get("/openapi.json").get_json()["paths"]
    assert "/carts/{cart_id}/checkout" in cart.get("/openapi.json").get_json()["paths"]


def test_every_service_app_builds_from_the_environment(env):
    from email_service.app import create_app as create_email

    for factory in (create_order, create_cart, create_inventory, create_email):
        app = factory()
        assert {"/livez", "/readyz", "/openapi.json", "/debug/resilience", "/admin/faults"} <= {
            rule.rule for rule in app.url_map.iter_rules()}


def test_a_page_points_to_the_next_one_until_the_last():
    from faultline_kit.problems import PageRequest

    assert PageRequest(0, 2).body("orders", ["a", "b"], 5)["next_offset"] == 2
    assert PageRequest(4, 2).body("orders", ["e"], 5) == {"orders": ["e"], "total": 5, "next_offset": None}

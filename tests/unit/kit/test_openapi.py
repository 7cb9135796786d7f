"""Each service's /openapi.json is generated from its routes: a valid OpenAPI 3.1 document naming exactly the routes
the app serves, whose request bodies are the models the routes validate with, and whose documented answers include
what the app really answers to a request that breaks the document (schemathesis-style, against unreachable stores:
bad input is refused before any store is touched)."""
from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from cart_service.app import create_app as create_cart
from cart_service.entrypoints.api import Checkout, ItemQuantity
from email_service.app import create_app as create_email
from inventory_service.app import create_app as create_inventory
from inventory_service.entrypoints.api import StockUpdate
from order_service.app import create_app as create_order
from order_service.entrypoints.api import PlaceOrder

UNREACHABLE = {"FAULTLINE_REDIS_URL": "redis://127.0.0.1:1/0", "FAULTLINE_KAFKA_BOOTSTRAP": "127.0.0.1:1",
               "FAULTLINE_ADMIN_TOKEN": "secret"}
FACTORIES = {"order": create_order, "cart": create_cart, "inventory": create_inventory, "email": create_email}
# The kit's operator routes, on every instance, outside the shop's API document.
OPERATOR_ROUTES = ("/admin/", "/debug/", "/cluster", "/metrics", "/static/")
# Path parameters that satisfy the routes' own checks (cart validates its ids before anything else).
SAMPLE_PATH = {"{cart_id}": "cart-1", "{sku}": "FL-001", "{order_id}": "order-1"}


@pytest.fixture
def env(monkeypatch):
    for name, value in UNREACHABLE.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(params=sorted(FACTORIES))
def service(request, env):
    app = FACTORIES[request.param]()
    return request.param, app, app.test_client().get("/openapi.json").get_json()


def served_routes(app) -> set[tuple[str, str]]:
    return {(rule.rule.replace("<", "{").replace(">", "}"), method.lower())
            for rule in app.url_map.iter_rules() if not rule.rule.startswith(OPERATOR_ROUTES)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def operations(document: dict):
    for path, by_method in document["paths"].items():
        for method, operation in by_method.items():
            yield path, method, operation


def concrete(path: str) -> str:
    for template, value in SAMPLE_PATH.items():
        path = path.replace(template, value)
    return path


def test_the_document_is_valid_openapi_3_1(service):
    name, _, document = service
    validate(document)
    assert document["openapi"] == "3.1.0" and document["info"]["title"] == f"Faultline {name}"


def test_the_document_names_exactly_the_routes_the_app_serves(service):
    _, app, document = service
    assert {(path, method) for path, method, _ in operations(document)} == served_routes(app)


def test_every_operation_has_a_summary_and_documents_each_path_parameter(service):
    _, _, document = service
    for path, method, operation in operations(document):
        assert operation["summary"], (method, path)
        named = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
        assert named == {part[1:-1] for part in path.split("/") if part.startswith("{")}, (method, path)


@pytest.mark.parametrize("factory, path, method, model", [
    (create_order, "/orders", "post", PlaceOrder),
    (create_cart, "/carts/{cart_id}/items/{sku}", "put", ItemQuantity),
    (create_cart, "/carts/{cart_id}/checkout", "post", Checkout),
    (create_inventory, "/products/{sku}/stock", "put", StockUpdate),
])
def test_a_request_body_is_the_model_the_route_validates_with(env, factory, path, method, model):
    document = factory().test_client().get("/openapi.json").get_json()
    ref = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["properties"].keys() == model.model_json_schema()["properties"].keys()
    assert schema.get("required", []) == model.model_json_schema().get("required", [])
    assert schema.get("additionalProperties") is False


def test_a_request_that_breaks_the_document_gets_a_documented_problem(service):
    """Each operation with a body or a required header, sent a body with an undeclared field and without its
    required headers: the answer is one of the operation's documented codes, as a problem body."""
    _, app, document = service
    client = app.test_client()
    checked = 0
    for path, method, operation in operations(document):
        takes_body = "requestBody" in operation
        required_headers = [p for p in operation["parameters"] if p["in"] == "header" and p["required"]]
        if not takes_body and not required_headers:
            continue
        response = client.open(concrete(path), method=method.upper(), json={"undeclared": 1} if takes_body else None)
        assert str(response.status_code) in operation["responses"], (method, path, response.status_code)
        assert response.mimetype == "application/problem+json", (method, path)
        documented = operation["responses"][str(response.status_code)]["content"]
        assert "application/problem+json" in documented, (method, path)
        checked += 1
    assert checked == {"order": 1, "cart": 2, "inventory": 1, "email": 0}[service[0]]

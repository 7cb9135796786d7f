"""One checkout is one trace: the four services run in this process on their own ports against the real Kafka
(own topic namespace) and Redis (own DB), each with its own tracer provider feeding one in-memory exporter."""
from __future__ import annotations

import socket
import threading
import uuid
from contextlib import ExitStack

import pytest
import redis
import requests
from kafka.admin import KafkaAdminClient
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from werkzeug.serving import make_server

from cart_service import bootstrap as cart_bootstrap
from cart_service.app import create_app as create_cart
from cart_service.config import CartSettings
from email_service import bootstrap as email_bootstrap
from email_service.app import create_app as create_email
from email_service.config import EmailSettings
from faultline_kit.runtime import EXTENSION_KEY
from faultline_ops import services
from faultline_kit.telemetry import telemetry_for
from faultline_kit.topology import Topology, ensure_topics
from inventory_service import bootstrap as inventory_bootstrap
from inventory_service.app import create_app as create_inventory
from inventory_service.config import InventorySettings
from order_service import bootstrap as order_bootstrap
from order_service.app import create_app as create_order
from order_service.config import OrderSettings
from support.stack import eventually

pytestmark = pytest.mark.integration

TRACE_DB = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def saga(infra):
    """The four services in-process, wired to each other; yields (cart URL, order URL, exporter)."""
    settings = infra.settings
    namespace = f"trace-{uuid.uuid4().hex[:8]}"
    topology = Topology(namespace)
    ensure_topics(settings.kafka_bootstrap, 2, namespace=namespace)
    ports = {name: free_port() for name in services.APIS}
    base_env = {"FAULTLINE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap, "FAULTLINE_KAFKA_NAMESPACE": namespace,
                "FAULTLINE_REDIS_URL": f"redis://{settings.host}:{settings.redis_port}/{TRACE_DB}",
                "FAULTLINE_INVENTORY_URL": f"http://127.0.0.1:{ports['inventory']}",
                "FAULTLINE_ORDER_URL": f"http://127.0.0.1:{ports['order']}",
                "FAULTLINE_SMTP_PORT": str(settings.smtp_port)}
    exporter = InMemorySpanExporter()
    # Cart first: requests is instrumented once per process, with the first provider, and cart is the service
    # whose outbound calls it traces.
    factories = {"cart": (create_cart, cart_bootstrap.bootstrap, CartSettings),
                 "order": (create_order, order_bootstrap.bootstrap, OrderSettings),
                 "inventory": (create_inventory, inventory_bootstrap.bootstrap, InventorySettings),
                 "email": (create_email, email_bootstrap.bootstrap, EmailSettings)}
    store = redis.Redis(host=settings.host, port=settings.redis_port, db=TRACE_DB)
    store.flushdb()
    with ExitStack() as cleanup:
        cleanup.callback(store.flushdb)
        cleanup.callback(_delete_topics, settings.kafka_bootstrap, topology)
        cleanup.callback(RequestsInstrumentor().uninstrument)
        for name, (factory, bootstrap, settings_type) in factories.items():
            env = {**base_env, "FAULTLINE_INSTANCE_ID": f"{name}-trace"}
            telemetry = telemetry_for(name, f"{name}-trace", environ={},
                                      span_processors=[SimpleSpanProcessor(exporter)])
            service_settings = settings_type.from_env(env)
            app = factory(service_settings, bootstrap(service_settings, telemetry=telemetry))
            server = make_server("127.0.0.1", ports[name], app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            cleanup.callback(server.shutdown)
            runtime = app.extensions[EXTENSION_KEY]
            runtime.start()
            cleanup.callback(runtime.stop)
        yield f"http://127.0.0.1:{ports['cart']}", f"http://127.0.0.1:{ports['order']}", exporter


def _delete_topics(bootstrap: str, topology: Topology) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_topics(topology.all_topics())
    finally:
        admin.close()


def _service(span) -> str:
    return span.resource.attributes["service.name"]


def test_one_checkout_is_one_trace_across_all_four_services(saga):
    cart_url, order_url, exporter = saga
    cart_id = f"trace-{uuid.uuid4().hex[:6]}"
    eventually(lambda: requests.put(f"{cart_url}/carts/{cart_id}/items/FL-001", json={"quantity": 1},
                                    timeout=5).status_code == 200, 30, what="the catalog seeded")
    response = requests.post(f"{cart_url}/carts/{cart_id}/checkout", json={"email": "trace@example.com"},
                             headers={"Idempotency-Key": cart_id}, timeout=10)
    assert response.status_code == 202, response.text
    order_id = response.json()["order_id"]
    eventually(lambda: requests.get(f"{order_url}/orders/{order_id}", timeout=5).json()["status"] == "CONFIRMED",
               60, what="the order confirmed")

    # Every hop of the saga, as (span name prefix, service, event type). The whole trace is awaited, not its first
    # spans: a process span ends after the spans inside it, and the outbox relay may send an event twice.
    hops = {
        "order_request": ("POST", "faultline-order", None),
        "placed_send": ("send", "faultline-order", "OrderPlaced"),
        "placed_process": ("process", "faultline-inventory", "OrderPlaced"),
        "reserved_send": ("send", "faultline-inventory", "StockReserved"),
        "reserved_process": ("process", "faultline-order", "StockReserved"),
        "confirmed_send": ("send", "faultline-order", "OrderConfirmed"),
        "confirmed_process": ("process", "faultline-email", "OrderConfirmed"),
        "smtp": ("smtp send", "faultline-email", None),
    }

    def spans_of(trace_spans, name_prefix: str, service: str, event_type: str | None):
        return [s for s in trace_spans if s.name.startswith(name_prefix) and _service(s) == service
                and (event_type is None or s.attributes.get("faultline.event.type") == event_type)]

    def our_checkout():
        return next((s for s in exporter.get_finished_spans()
                     if s.kind.name == "SERVER" and _service(s) == "faultline-cart" and "checkout" in s.name
                     and any(cart_id in str(value) for value in s.attributes.values())), None)

    missing: list[str] = []

    def whole_trace():
        checkout = our_checkout()
        if checkout is None:
            missing[:] = ["cart's checkout span"]
            return None
        trace_spans = [s for s in exporter.get_finished_spans() if s.context.trace_id == checkout.context.trace_id]
        found = {hop: spans_of(trace_spans, *key) for hop, key in hops.items()}
        missing[:] = [f"{hop} {hops[hop]}" for hop, spans in found.items() if not spans]
        missing.append(f"(trace has {sorted(s.name for s in trace_spans)})")
        return (checkout, trace_spans, found) if all(found.values()) else None

    try:
        checkout, trace_spans, found = eventually(whole_trace, 60, what="every span of the checkout's trace")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; missing {missing}") from None
    by_id = {s.context.span_id: s for s in trace_spans}

    def parent(span):
        return by_id.get(span.parent.span_id) if span.parent else None

    def descends_from(span, ancestor) -> bool:
        while span is not None:
            if span.context.span_id == ancestor.context.span_id:
                return True
            span = parent(span)
        return False

    def processed_a_send(process, sends) -> bool:
        return any(parent(process) is send for send in sends)

    placed_process, reserved_process, confirmed_process = (
        found["placed_process"][0], found["reserved_process"][0], found["confirmed_process"][0])
    smtp = found["smtp"][0]
    placed_send, reserved_send, confirmed_send = (
        parent(placed_process), parent(reserved_process), parent(confirmed_process))

    assert all(descends_from(request, checkout) for request in found["order_request"])
    # Each consumer's span is a child of one of the sends of its event (two when the relay resent it)...
    assert processed_a_send(placed_process, found["placed_send"])
    assert processed_a_send(reserved_process, found["reserved_send"])
    assert processed_a_send(confirmed_process, found["confirmed_send"])
    # ...and each send descends from the step that caused it: the outbox carried the request's context.
    assert any(descends_from(placed_send, request) for request in found["order_request"])
    assert descends_from(reserved_send, placed_process)
    assert descends_from(confirmed_send, reserved_process)
    assert descends_from(smtp, confirmed_process)
    assert any(s.name.startswith(("WATCH", "GET", "SET", "MULTI", "EXEC")) and _service(s) == "faultline-inventory"
               for s in trace_spans), "no Redis span from inventory"
    assert {_service(s) for s in trace_spans} == {"faultline-cart", "faultline-order", "faultline-inventory",
                                                   "faultline-email"}

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from faultline_kit.telemetry import context_from_headers, headers_with_context, telemetry_for


def test_without_an_exporter_tracing_is_off_and_costs_nothing():
    telemetry = telemetry_for("order", "order-1", environ={})
    assert not telemetry.tracing
    assert isinstance(telemetry.tracer_provider, trace.NoOpTracerProvider)


def test_an_otlp_endpoint_turns_tracing_on_unless_the_exporter_is_none():
    assert telemetry_for("order", "o-1", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"}).tracing
    assert not telemetry_for("order", "o-1", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
                                                      "OTEL_TRACES_EXPORTER": "none"}).tracing


def test_the_resource_names_the_service_and_the_instance():
    telemetry = telemetry_for("cart", "cart-2", environ={}, span_processors=[SimpleSpanProcessor(
        InMemorySpanExporter())])
    attributes = telemetry.resource.attributes
    assert (attributes["service.name"], attributes["service.instance.id"]) == ("faultline-cart", "cart-2")


def test_trace_context_survives_kafka_headers():
    exporter = InMemorySpanExporter()
    telemetry = telemetry_for("order", "o-1", environ={}, span_processors=[SimpleSpanProcessor(exporter)])
    with telemetry.tracer.start_as_current_span("send orders") as producer:
        headers = headers_with_context([("faultline-fence", b"x/1")])
    with telemetry.tracer.start_as_current_span("process orders", context=context_from_headers(headers)) as consumer:
        pass
    assert consumer.parent.span_id == producer.get_span_context().span_id
    assert ("faultline-fence", b"x/1") in headers

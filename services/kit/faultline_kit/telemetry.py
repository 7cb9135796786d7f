"""OpenTelemetry for every service, configured from the standard OTEL_* variables.

- Traces: exported over OTLP HTTP/protobuf when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set (and
  OTEL_TRACES_EXPORTER is not `none`); with no exporter configured the no-op tracer is used: no export, no cost.
  Resource: service.name (OTEL_SERVICE_NAME, default `faultline-<service>`), service.instance.id, and anything
  in OTEL_RESOURCE_ATTRIBUTES.
- Metrics: always readable at /metrics (Prometheus text, from a registry of this app's own); also pushed over
  OTLP when an endpoint is configured.
- Kafka: the kit makes the spans itself (see kafka_bus): a `send <topic>` PRODUCER span, child of whatever caused
  the message (the HTTP request, the handler, or, for the outbox, the context stored with the entry), injected
  into the record's headers as W3C traceparent; a `process <topic>` CONSUMER span, child of that producer span.
  Parent/child rather than span links, so one checkout is one trace from cart to mail.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.view import View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)

INSTRUMENTATION = "faultline_kit"


@dataclass
class Telemetry:
    tracer_provider: trace.TracerProvider
    meter_provider: MeterProvider
    registry: CollectorRegistry
    tracing: bool
    resource: Resource | None = None
    _providers_to_shut: list = field(default_factory=list)

    @property
    def tracer(self) -> trace.Tracer:
        return self.tracer_provider.get_tracer(INSTRUMENTATION)

    @property
    def meter(self) -> Meter:
        return self.meter_provider.get_meter(INSTRUMENTATION)

    def shutdown(self) -> None:
        for provider in self._providers_to_shut:
            try:
                provider.shutdown()
            except Exception:  # noqa: BLE001 - shutting down must never fail a SIGTERM
                log.exception("telemetry shutdown failed")



def _exporter_configured(env: Mapping[str, str], signal: str) -> bool:
    if env.get(f"OTEL_{signal.upper()}_EXPORTER", "otlp").strip().lower() == "none":
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT"))


def resource_for(service: str, instance_id: str, env: Mapping[str, str]) -> Resource:
    attributes = {"service.namespace": "faultline", "service.instance.id": instance_id,
                  "service.name": env.get("OTEL_SERVICE_NAME") or f"faultline-{service}"}
    return Resource.create(attributes)


def telemetry_for(service: str, instance_id: str, environ: Mapping[str, str] | None = None,
                  span_processors: Iterable[SpanProcessor] = (),
                  span_exporter: SpanExporter | None = None, views: Iterable[View] = ()) -> Telemetry:
    """Build this instance's providers. Tests pass processors (an in-memory exporter) instead of OTLP; a service
    passes views for its own instruments (a histogram's buckets)."""
    env = os.environ if environ is None else environ
    resource = resource_for(service, instance_id, env)
    processors = list(span_processors)
    if span_exporter is None and _exporter_configured(env, "traces"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        processors.append(BatchSpanProcessor(span_exporter))
    registry = CollectorRegistry()
    readers = [PrometheusMetricReader(registry=registry)]
    if _exporter_configured(env, "metrics"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=list(views))
    if not processors:
        return Telemetry(trace.NoOpTracerProvider(), meter_provider, registry, tracing=False, resource=resource,
                         _providers_to_shut=[meter_provider])
    tracer_provider = TracerProvider(resource=resource)
    for processor in processors:
        tracer_provider.add_span_processor(processor)
    return Telemetry(tracer_provider, meter_provider, registry, tracing=True, resource=resource,
                     _providers_to_shut=[tracer_provider, meter_provider])


# --- Kafka context propagation -----------------------------------------------------------------------------------

def carrier_of(ctx: Context | None = None) -> dict[str, str]:
    """The W3C trace context of `ctx` (default: the current one) as a plain dict, to store or send."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=ctx)
    return carrier


def context_of(carrier: Mapping[str, str] | None) -> Context:
    return propagate.extract(dict(carrier or {}))


def headers_with_context(headers: list[tuple[str, bytes]], ctx: Context | None = None) -> list[tuple[str, bytes]]:
    return headers + [(key, value.encode()) for key, value in carrier_of(ctx).items()]


def context_from_headers(headers: Iterable[tuple[str, bytes]] | None) -> Context:
    carrier = {key: value.decode("utf-8", "replace") for key, value in headers or () if value is not None}
    return context_of(carrier)


def add_event(name: str, attributes: Mapping[str, object] | None = None) -> None:
    """An event on the current span (breaker transitions, retries, dead-lettering, lease changes)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(name, {k: v for k, v in (attributes or {}).items() if v is not None})


class TraceContextFilter(logging.Filter):
    """Adds trace_id and span_id of the current span to every log record (JSON logs carry them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


def untraced():
    """Housekeeping (readiness pings, relay polling, lease renewal) makes no spans: they would bury the traces."""
    return suppress_instrumentation()

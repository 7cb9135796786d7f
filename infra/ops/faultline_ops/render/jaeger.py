"""Jaeger (v2, built with `go install`): receives OTLP from every instance, keeps traces in memory, serves the UI
and the query API the e2e tests read. Every port is derived from the settings, so stacks run side by side."""

from __future__ import annotations

import shlex
from pathlib import Path
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import Settings

MAX_TRACES = 50000

_CONFIG = Template("""\
# Rendered by faultline_ops.render.jaeger; edits are overwritten by `faultline up`.
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: $max_traces
  jaeger_query:
    storage:
      traces: memstore
    grpc:
      endpoint: $host:$query_grpc_port
    http:
      endpoint: $host:$ui_port
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: $host:$otlp_grpc_port
      http:
        endpoint: $host:$otlp_http_port
processors:
  batch:
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
""")


def config_path(settings: Settings) -> Path:
    return settings.jaeger_dir / "config.yaml"


def config(settings: Settings) -> str:
    return _CONFIG.substitute(host=settings.host, max_traces=MAX_TRACES, ui_port=settings.jaeger_port,
                              query_grpc_port=settings.jaeger_port - 1, otlp_http_port=settings.otlp_port,
                              otlp_grpc_port=settings.otlp_port - 1)


def files(settings: Settings) -> dict[Path, str]:
    return {config_path(settings): config(settings)}


def program(settings: Settings) -> Program:
    return Program(
        name="jaeger",
        command=shlex.join([str(settings.jaeger_bin), "--config", str(config_path(settings))]),
        directory=settings.jaeger_dir,
        port=settings.jaeger_port,
        probe="http",
        priority=10,
        environment=config_fingerprint(config(settings)),
    )


def otel_environment(settings: Settings) -> dict[str, str]:
    """What points a service at this Jaeger, unless the caller configured OTEL_* itself."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": settings.otlp_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            # Jaeger takes traces only; metrics are scraped from /metrics, logs go to files.
            "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            # The stable HTTP conventions: http_server_request_duration_seconds, as on Kubernetes.
            "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}

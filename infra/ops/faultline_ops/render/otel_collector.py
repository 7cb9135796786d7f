"""The OpenTelemetry Collector between the services and Zipkin, as in the chart: every instance exports OTLP over
HTTP to it, its traces pipeline sends them on to Zipkin's /api/v2/spans with the contrib `zipkin` exporter.
Built by bootstrap from infra/otel-collector/builder-config.yaml. Every port comes from the settings."""

from __future__ import annotations

import shlex
from pathlib import Path
from string import Template

from faultline_ops.render.program import Program, config_fingerprint
from faultline_ops.settings import Settings

_CONFIG = Template("""\
# Rendered by faultline_ops.render.otel_collector; edits are overwritten by `faultline up`.
receivers:
  otlp:
    protocols:
      http:
        endpoint: $host:$otlp_port
processors:
  batch:
exporters:
  zipkin:
    endpoint: $zipkin_spans_url
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [zipkin]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
""")


def config_path(settings: Settings) -> Path:
    return settings.otel_collector_dir / "config.yaml"


def config(settings: Settings) -> str:
    return _CONFIG.substitute(host=settings.host, otlp_port=settings.otlp_port,
                              zipkin_spans_url=f"{settings.zipkin_url}/api/v2/spans")


def files(settings: Settings) -> dict[Path, str]:
    return {config_path(settings): config(settings)}


def program(settings: Settings) -> Program:
    return Program(
        name="otel-collector",
        command=shlex.join([str(settings.otel_collector_bin), "--config", str(config_path(settings))]),
        directory=settings.otel_collector_dir,
        port=settings.otlp_port,
        probe="tcp",
        priority=10,
        environment=config_fingerprint(config(settings)),
    )


def otel_environment(settings: Settings) -> dict[str, str]:
    """What points a service at this Collector, unless the caller configured OTEL_* itself."""
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": settings.otlp_endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            # The local Collector takes traces only; metrics are scraped from /metrics, logs go to files.
            "OTEL_METRICS_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
            # The stable HTTP conventions: http_server_request_duration_seconds, as on Kubernetes.
            "OTEL_SEMCONV_STABILITY_OPT_IN": "http"}

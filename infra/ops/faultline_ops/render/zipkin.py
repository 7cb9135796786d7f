"""Zipkin (the server's executable jar from Maven Central, Lens UI inside): keeps traces in memory, serves the UI
and the v2 query API the tests read. It takes spans in Zipkin's own format; the OpenTelemetry Collector in front
of it (render/otel_collector.py) is what the services export OTLP to."""

from __future__ import annotations

import shlex

from faultline_ops.render.program import Program
from faultline_ops.settings import Settings

HEAP = "384m"
# Oldest traces are dropped past this many spans; a checkout is about 30, a 60 s load test a few 10 000.
MAX_SPANS = 200000


def argv(settings: Settings) -> list[str]:
    return [
        "java", f"-Xmx{HEAP}", "-Xms64m", "-XX:+UseSerialGC", "-jar", str(settings.zipkin_jar),
        # Armeria serves the UI and the API on one port; bind it to the stack's host only, like every other program.
        f"--armeria.ports[0].ip={settings.host}",
        f"--armeria.ports[0].port={settings.zipkin_port}",
        "--armeria.ports[0].protocols[0]=http",
    ]


def environment(settings: Settings) -> tuple[tuple[str, str], ...]:
    # The variables the official image documents: in-memory storage, and no collector but the HTTP one.
    return (("STORAGE_TYPE", "mem"), ("MEM_MAX_SPANS", str(MAX_SPANS)), ("COLLECTOR_GRPC_ENABLED", "false"),
            ("SELF_TRACING_ENABLED", "false"))


def program(settings: Settings) -> Program:
    return Program(
        name="zipkin",
        command=shlex.join(argv(settings)),
        directory=settings.zipkin_dir,
        port=settings.zipkin_port,
        probe="http",
        priority=10,
        environment=environment(settings),
    )

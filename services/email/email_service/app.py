"""Wires email: the only place that builds real adapters."""
from __future__ import annotations

from flask import Flask

from faultline_kit.clock import LamportClock, WallClock
from faultline_kit.kafka_bus import Dependency
from faultline_kit.messages import EnvelopeStamper
from faultline_kit.runtime import BackgroundRuntime
from faultline_kit.service_app import Operations, create_service_app
from faultline_kit.telemetry import Telemetry
from faultline_kit.wiring import consumer_tasks, degraded_checks, readiness_checks, redis_dependency

from .adapters.sent_store import SentStore
from .adapters.smtp_mailer import SMTP_ERRORS, SmtpMailer
from .config import EmailSettings
from .entrypoints.api import email_blueprint
from .entrypoints.consumer import EmailEventHandler
from .entrypoints.openapi import email_openapi


def create_app(settings: EmailSettings | None = None, telemetry: Telemetry | None = None) -> Flask:
    settings = settings or EmailSettings.from_env()
    kit = settings.kit
    wall = WallClock(kit.clock_skew_ms)
    ops = Operations.for_instance(kit, wall, telemetry)
    sent = SentStore(ops.redis_client(kit))
    publisher = ops.publisher(kit)
    smtp = Dependency(ops.board.breaker("smtp", counts=SMTP_ERRORS), SMTP_ERRORS)
    stamper = EnvelopeStamper(kit.instance_id, LamportClock(), wall)
    mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.sender, tracer=ops.tracer)
    handler = EmailEventHandler(mailer, sent, stamper, wall.now_iso)
    cluster, _ = ops.cluster_tasks(kit, stamper)
    runtime = BackgroundRuntime(
        [*cluster, *consumer_tasks(kit, (kit.topology.orders,), handler, publisher, ops.board,
                                   (redis_dependency(ops.board), smtp))],
        on_stop=[publisher.close])
    return create_service_app(
        __name__, runtime,
        readiness=readiness_checks(sent.ping),
        openapi=email_openapi(),
        blueprints=[email_blueprint(sent)],
        ops=ops,
        degraded=degraded_checks(kit),
    )

"""The Flask wiring every service shares: problems, health, request logs and the background runtime."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dataclasses import dataclass

import redis
from flask import Blueprint, Flask, Response, g, jsonify, request
from opentelemetry.instrumentation.flask import FlaskInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import redis_store

from .clock import WallClock
from .faults import FaultInjector, install_faults
from .health import ReadinessCheck, health_blueprint
from .kafka_bus import EventPublisher
from .membership import HeartbeatLoop, MembershipListener, MembershipView
from .messages import EnvelopeStamper
from .metrics import register_board_metrics
from .problems import register_problem_handlers
from .resilience import BreakerPolicy, StatusBoard
from .runtime import EXTENSION_KEY, BackgroundRuntime, BackgroundTask
from .settings import KitSettings
from .telemetry import Telemetry, telemetry_for

request_log = logging.getLogger("faultline.request")


class InFlight:
    """HTTP requests being served right now."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def add(self, delta: int) -> None:
        with self._lock:
            self._count += delta

    @property
    def value(self) -> int:
        return self._count


@dataclass(frozen=True)
class Operations:
    """What every instance exposes for operators: status board, fault injector, membership view, admin token."""

    board: StatusBoard
    faults: FaultInjector
    membership: MembershipView
    in_flight: InFlight
    admin_token: str
    telemetry: Telemetry

    @classmethod
    def for_instance(cls, kit: KitSettings, wall: WallClock, telemetry: Telemetry | None = None) -> "Operations":
        return cls(StatusBoard(BreakerPolicy(kit.breaker_fail_max, kit.breaker_reset_s)), FaultInjector(wall),
                   MembershipView(kit.instance_id), InFlight(), kit.admin_token,
                   telemetry or telemetry_for(kit.service, kit.instance_id))

    @property
    def tracer(self):
        return self.telemetry.tracer

    def publisher(self, kit: KitSettings) -> EventPublisher:
        return EventPublisher(kit.kafka_bootstrap, client_id=kit.instance_id, tracer=self.tracer)

    def redis_client(self, kit: KitSettings) -> redis.Redis:
        """A Redis client with timeouts, traced when tracing is on."""
        client = redis_store.connect(kit.redis_url, kit.redis_sentinels, kit.redis_sentinel_master)
        if self.telemetry.tracing:
            RedisInstrumentor.instrument_client(client, tracer_provider=self.telemetry.tracer_provider)
        return client

    def cluster_tasks(self, kit: KitSettings, stamper: EnvelopeStamper) -> tuple[list[BackgroundTask], HeartbeatLoop]:
        """Heartbeat publishing and membership listening, as background tasks (and the heartbeat loop itself).

        Heartbeats have their own producer with short timeouts, so a Kafka outage never stalls the beat for longer
        than a second.
        """
        publisher = EventPublisher(kit.kafka_bootstrap, client_id=f"{kit.instance_id}-heartbeat", ack_timeout_s=1.0,
                                   max_block_ms=500)  # heartbeats are not traced: one span a second is noise
        topic = kit.topology.heartbeats
        beats = HeartbeatLoop(kit.service, kit.instance_id, publisher, stamper, self.board,
                              lambda: self.in_flight.value, topic)
        listener = MembershipListener(kit.kafka_bootstrap, kit.instance_id, self.membership, topic)
        return [BackgroundTask(beats.name, beats.run), BackgroundTask(listener.name, listener.run)], beats


def create_service_app(
    import_name: str,
    runtime: BackgroundRuntime,
    readiness: dict[str, ReadinessCheck],
    openapi: dict[str, Any],
    blueprints: list[Blueprint],
    ops: Operations,
    degraded: dict[str, ReadinessCheck] | None = None,
) -> Flask:
    app = Flask(import_name, static_folder=None)
    app.json.sort_keys = False
    app.extensions[EXTENSION_KEY] = runtime
    register_problem_handlers(app)
    install_faults(app, ops.faults, lambda: ops.admin_token)
    ops.board.provide("faults", ops.faults.describe)
    checks = {**readiness, "faults": ops.faults.ready}
    app.register_blueprint(health_blueprint(checks, openapi, degraded))
    app.register_blueprint(_debug_blueprint(ops))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    _log_requests(app, ops.in_flight)
    _instrument(app, ops)
    runtime.add_stop_hook(ops.telemetry.shutdown)
    return app


def _instrument(app: Flask, ops: Operations) -> None:
    telemetry = ops.telemetry
    # Probes and the control room's board reads are not traced: they come twice a second per instance and would
    # bury the shoppers' traces (and cost a span export each).
    FlaskInstrumentor.instrument_app(app, tracer_provider=telemetry.tracer_provider,
                                     meter_provider=telemetry.meter_provider,
                                     excluded_urls="livez,readyz,metrics,debug/resilience")
    if telemetry.tracing:
        # requests is instrumented per process (the instrumentation patches the library, not a session).
        instrumentor = RequestsInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=telemetry.tracer_provider)
    register_board_metrics(telemetry.meter, ops.board, ops.membership)

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(telemetry.registry), mimetype=CONTENT_TYPE_LATEST)


def _debug_blueprint(ops: Operations) -> Blueprint:
    debug = Blueprint("debug", __name__)

    @debug.get("/debug/resilience")
    def resilience():
        return jsonify(ops.board.snapshot())

    @debug.get("/cluster")
    def cluster():
        return jsonify(ops.membership.describe())

    return debug


def _log_requests(app: Flask, in_flight: InFlight) -> None:
    @app.before_request
    def _start_timer():
        g.faultline_started = time.perf_counter()
        in_flight.add(1)

    @app.teardown_request
    def _done(exc):
        in_flight.add(-1)

    @app.after_request
    def _log(response):
        if request.path not in ("/livez", "/readyz"):
            elapsed_ms = (time.perf_counter() - g.get("faultline_started", time.perf_counter())) * 1000
            request_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response

"""The Flask wiring every service shares: problems, health, request logs and the background runtime."""
from __future__ import annotations

import logging
import time
from typing import Any

from dataclasses import dataclass

from flask import Blueprint, Flask, g, jsonify, request

from .clock import WallClock
from .faults import FaultInjector, install_faults
from .health import ReadinessCheck, health_blueprint
from .problems import register_problem_handlers
from .resilience import BreakerPolicy, StatusBoard
from .runtime import EXTENSION_KEY, BackgroundRuntime
from .settings import KitSettings

request_log = logging.getLogger("faultline.request")


@dataclass(frozen=True)
class Operations:
    """What every instance exposes for operators: its status board, its fault injector, the admin token."""

    board: StatusBoard
    faults: FaultInjector
    admin_token: str

    @classmethod
    def for_instance(cls, kit: KitSettings, wall: WallClock) -> "Operations":
        return cls(StatusBoard(BreakerPolicy(kit.breaker_fail_max, kit.breaker_reset_s)), FaultInjector(wall),
                   kit.admin_token)


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
    app.register_blueprint(_debug_blueprint(ops.board))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    _log_requests(app)
    return app


def _debug_blueprint(board: StatusBoard) -> Blueprint:
    debug = Blueprint("debug", __name__)

    @debug.get("/debug/resilience")
    def resilience():
        return jsonify(board.snapshot())

    return debug


def _log_requests(app: Flask) -> None:
    @app.before_request
    def _start_timer():
        g.faultline_started = time.perf_counter()

    @app.after_request
    def _log(response):
        if request.path not in ("/livez", "/readyz"):
            elapsed_ms = (time.perf_counter() - g.get("faultline_started", time.perf_counter())) * 1000
            request_log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed_ms)
        return response

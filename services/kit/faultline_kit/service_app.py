"""The Flask wiring every service shares: problems, health, request logs and the background runtime."""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Flask, g, request

from .health import ReadinessCheck, health_blueprint
from .problems import register_problem_handlers
from .runtime import EXTENSION_KEY, BackgroundRuntime

request_log = logging.getLogger("faultline.request")


def create_service_app(
    import_name: str,
    runtime: BackgroundRuntime,
    readiness: dict[str, ReadinessCheck],
    openapi: dict[str, Any],
    blueprints: list[Blueprint],
) -> Flask:
    app = Flask(import_name, static_folder=None)
    app.json.sort_keys = False
    app.extensions[EXTENSION_KEY] = runtime
    register_problem_handlers(app)
    app.register_blueprint(health_blueprint(readiness, openapi))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    _log_requests(app)
    return app


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

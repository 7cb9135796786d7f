"""Fault injection per instance, for experiments: latency, errors on chosen routes, failing readiness, a crash,
and wall-clock skew. `POST /admin/faults` sets a plan, `DELETE /admin/faults` clears it (admin token required)."""
from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from flask import Blueprint, Flask, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from .clock import WallClock
from .health import admin_only
from .problems import Problem, parse_body

log = logging.getLogger(__name__)

NEVER_FAULTED = ("/livez", "/readyz", "/admin/", "/debug/", "/cluster", "/openapi.json")


class FaultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    latency_ms: int = Field(default=0, ge=0, le=60_000, description="added before each matching request")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of matching requests that fail")
    error_status: int = Field(default=503, ge=500, le=599)
    routes: list[str] = Field(default_factory=list, max_length=20,
                              description="path prefixes the latency and errors apply to; empty = all routes")
    fail_readiness: bool = False
    crash: bool = Field(default=False, description="exit the process (code 137) right after answering")
    clock_skew_ms: int | None = Field(default=None, ge=-86_400_000, le=86_400_000)


@dataclass
class FaultPlan:
    latency_ms: int = 0
    error_rate: float = 0.0
    error_status: int = 503
    routes: list[str] = field(default_factory=list)
    fail_readiness: bool = False

    def matches(self, path: str) -> bool:
        if path.startswith(NEVER_FAULTED):
            return False
        return not self.routes or any(path.startswith(prefix) for prefix in self.routes)


class FaultInjector:
    def __init__(self, wall: WallClock, rng: random.Random | None = None,
                 exit_process: Callable[[int], None] = os._exit) -> None:
        self.wall = wall
        self.plan = FaultPlan()
        self._rng = rng or random.Random()
        self._exit = exit_process
        self._lock = threading.Lock()
        self.injected_errors = 0

    def set(self, wanted: FaultRequest) -> FaultPlan:
        with self._lock:
            self.plan = FaultPlan(wanted.latency_ms, wanted.error_rate, wanted.error_status, list(wanted.routes),
                                  wanted.fail_readiness)
        if wanted.clock_skew_ms is not None:
            self.wall.set_skew(wanted.clock_skew_ms)
        log.warning("faults set: %s, clock skew %d ms", asdict(self.plan), self.wall.skew_ms)
        if wanted.crash:
            log.error("crash requested through /admin/faults: exiting")
            threading.Timer(0.2, self._exit, args=(137,)).start()
        return self.plan

    def clear(self) -> None:
        with self._lock:
            self.plan = FaultPlan()
        self.wall.reset_skew()
        log.warning("faults cleared")

    def before_request(self, path: str) -> None:
        plan = self.plan
        if not plan.matches(path):
            return
        if plan.latency_ms:
            time.sleep(plan.latency_ms / 1000.0)
        if plan.error_rate and self._rng.random() < plan.error_rate:
            self.injected_errors += 1
            raise Problem(plan.error_status, "Injected fault", "this error was injected through /admin/faults")

    def ready(self) -> bool:
        return not self.plan.fail_readiness

    def describe(self) -> dict:
        return {**asdict(self.plan), "clock_skew_ms": self.wall.skew_ms, "injected_errors": self.injected_errors}


def install_faults(app: Flask, injector: FaultInjector, admin_token: Callable[[], str]) -> None:
    blueprint = Blueprint("faults", __name__)

    @blueprint.get("/admin/faults")
    @admin_only(admin_token)
    def show():
        return jsonify(injector.describe())

    @blueprint.post("/admin/faults")
    @admin_only(admin_token)
    def set_faults():
        wanted: FaultRequest = parse_body(request, FaultRequest)  # type: ignore[assignment]
        injector.set(wanted)
        return jsonify(injector.describe())

    @blueprint.delete("/admin/faults")
    @admin_only(admin_token)
    def clear():
        injector.clear()
        return jsonify(injector.describe())

    app.register_blueprint(blueprint)
    app.before_request(lambda: injector.before_request(request.path))

"""The page's buttons as chaos-runner steps: one request body in, one `Step` the backend applies (pure).

The same steps `faultline chaos` experiments are made of, so a button does exactly what an experiment's fault does,
through the same backend: locally supervisord, Toxiproxy and /admin/faults; on Kubernetes the kubernetes client.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from faultline_ops.chaos.experiment import Step, Target
from faultline_ops.settings import PROXIED_ROUTES, SERVICES

SERVICE_NAMES = tuple(SERVICES)
ROUTES = tuple(f"{client}-to-{downstream}" for client, downstream in PROXIED_ROUTES)
# What lifting each kind of fault is called on its button.
LIFT_VERBS = {"kill": "restart", "stop": "start", "partition": "heal", "latency": "clear", "errors": "clear",
              "clock-skew": "clear"}


class ActionRequest(BaseModel):
    """One button press. `kind` picks the fault; the other fields say where and how much."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["kill", "stop", "partition", "latency", "errors", "clock-skew"]
    service: Literal[SERVICES] | None = None  # type: ignore[valid-type]  # the one list, as a Literal
    replica: int | None = Field(default=None, ge=1, le=9, description="1-based; none = every replica")
    program: Literal["kafka", "redis"] | None = None
    route: str | None = Field(default=None, description=f"one of {', '.join(ROUTES)}")
    latency_ms: int = Field(default=500, ge=1, le=10_000)
    error_rate: float = Field(default=1.0, gt=0.0, le=1.0)
    skew_ms: int = Field(default=600_000, ge=-86_400_000, le=86_400_000)

    @model_validator(mode="after")
    def _names_its_target(self) -> "ActionRequest":
        needs = {"kill": ("service", "replica"), "stop": ("program",), "partition": ("route",),
                 "latency": ("service",), "errors": ("service",), "clock-skew": ("service",)}[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.kind} needs {' and '.join(missing)}")
        if self.kind == "partition" and self.route not in ROUTES:
            raise ValueError(f"route must be one of {', '.join(ROUTES)}")
        if self.kind == "clock-skew" and self.skew_ms == 0:
            raise ValueError("skew_ms must not be 0")
        return self

    def describe(self) -> str:
        where = {"kill": f"{self.service}-{self.replica}", "stop": self.program, "partition": self.route}.get(
            self.kind, f"{self.service}" + (f"-{self.replica}" if self.replica else " (every replica)"))
        how = {"latency": f" +{self.latency_ms} ms", "errors": f" {self.error_rate:.0%} errors",
               "clock-skew": f" clock {self.skew_ms:+d} ms"}.get(self.kind, "")
        return f"{self.kind} {where}{how}"


def step_for(action: ActionRequest, backend: str) -> Step:
    """The chaos step a button applies on `backend` (local | k8s).

    kill: locally SIGKILL to the replica's process group and keep it down until `restart` (supervisord would
    restart it within a second, too fast to watch); on Kubernetes the pod is deleted and its ReplicaSet replaces it.
    partition: a Toxiproxy cut locally, a NetworkPolicy on Kubernetes. latency / errors / clock-skew: the
    instances' own /admin/faults.
    """
    name = action.describe()
    if action.kind == "kill":
        target = Target(service=action.service, replica=action.replica)
        if backend == "local":
            return Step(name, "stop", target, params={"signal": "KILL"})
        return Step(name, "kill", target)
    if action.kind == "stop":
        return Step(name, "stop", Target(program=action.program), params={"signal": "TERM"})
    if action.kind == "partition":
        return Step(name, "proxy", Target(route=action.route), params={"mode": "cut"})
    target = Target(service=action.service, replica=action.replica)
    params = {"latency": {"latency_ms": action.latency_ms},
              "errors": {"error_rate": action.error_rate},
              "clock-skew": {"clock_skew_ms": action.skew_ms}}[action.kind]
    return Step(name, "faults", target, params=params)

"""Experiments as data: YAML in, frozen dataclasses out, every value checked before anything is broken."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from faultline_ops.settings import SERVICES

CHECKS = ("checkout_success", "request_success", "browse_success", "p95_latency_ms", "failed_statuses",
          "services_ready", "replicas_ready", "pending_orders")
ACTIONS = ("kill", "stop", "faults", "proxy", "isolate")
ROLLBACKS = ("start-all", "clear-faults", "reset-proxies")
PROGRAMS = ("kafka", "redis", "mailpit", "haproxy", "toxiproxy")
PROXY_MODES = ("cut", "timeout", "latency")
# One node of a replicated program (the HA profile): a number, or a role found at run time.
NODE_ROLES = {"kafka": ("leader", "controller"), "redis": ("primary",)}
PROFILES = ("default", "ha")


class ExperimentError(ValueError):
    """The experiment file is not valid; the message names the file and the field."""


@dataclass(frozen=True)
class CheckSpec:
    """One check of a hypothesis: `min`/`max` bound the observed value; `allowed` lists tolerated statuses."""

    name: str
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.name == "failed_statuses":
            return "failures only " + (", ".join(self.allowed) if self.allowed else "none")
        bounds = []
        if self.min is not None:
            bounds.append(f">= {self.min:g}")
        if self.max is not None:
            bounds.append(f"<= {self.max:g}")
        return " and ".join(bounds) or "observed"


@dataclass(frozen=True)
class Target:
    service: str | None = None
    replica: int | str | None = None   # 1-based index, "leader" (order's outbox lease holder), None = every replica
    program: str | None = None         # kafka, redis, ...
    route: str | None = None           # a Toxiproxy proxy, e.g. cart-to-inventory
    # HA profile: one node of kafka (1-3, "leader" of the busiest orders partition, "controller": the active KRaft
    # controller) or of redis (1-3, "primary" as the Sentinels name it); None = every node.
    node: int | str | None = None

    def describe(self) -> str:
        if self.route:
            return self.route
        if self.program and self.node is not None:
            return f"{self.program} node {self.node}"
        if self.program:
            return self.program
        if self.replica is None:
            return f"every {self.service} replica"
        return f"{self.service} replica {self.replica}"


@dataclass(frozen=True)
class Step:
    name: str
    action: str
    target: Target
    duration_s: float = 0.0
    wait_ready: bool = True
    params: Mapping[str, Any] = field(default_factory=dict)
    during: tuple[CheckSpec, ...] | None = None   # None: the experiment's `during` applies
    with_next: bool = False   # applied together with the next step: held and lifted as one group
    failover_within_s: float | None = None   # HA: the node taken by role is replaced (new leader...) within this


@dataclass(frozen=True)
class Experiment:
    name: str
    title: str
    description: str
    expect: str
    flows_per_s: float
    window_s: float
    steady_state: tuple[CheckSpec, ...]
    during: tuple[CheckSpec, ...]
    method: tuple[Step, ...]
    rollbacks: tuple[str, ...]
    recovery_timeout_s: float
    verify_wait_s: float
    short: bool = False
    path: Path | None = None
    profile: str = "default"   # "ha": needs the HA profile (`make up UP_ARGS=--ha`)


def _fail(where: str, message: str) -> ExperimentError:
    return ExperimentError(f"{where}: {message}")


def _number(value: Any, short: bool, where: str) -> float:
    """A number, or {full: N, short: M} choosing by the run's form."""
    if isinstance(value, Mapping):
        unknown = set(value) - {"full", "short"}
        if unknown or "full" not in value:
            raise _fail(where, "expected a number or {full: N, short: M}")
        value = value.get("short", value["full"]) if short else value["full"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(where, f"expected a number, got {value!r}")
    if value < 0:
        raise _fail(where, f"must not be negative, got {value}")
    return float(value)


def _checks(raw: Any, where: str) -> tuple[CheckSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise _fail(where, "expected a mapping of check name to bounds")
    specs = []
    for name, bounds in raw.items():
        if name not in CHECKS:
            raise _fail(f"{where}.{name}", f"unknown check; known: {', '.join(CHECKS)}")
        bounds = bounds or {}
        if not isinstance(bounds, Mapping) or set(bounds) - {"min", "max", "allowed"}:
            raise _fail(f"{where}.{name}", "expected {min: N}, {max: N} or {allowed: [...]}")
        allowed = tuple(str(s) for s in bounds.get("allowed") or ())
        spec = CheckSpec(name, _optional(bounds.get("min"), f"{where}.{name}.min"),
                         _optional(bounds.get("max"), f"{where}.{name}.max"), allowed)
        if name != "failed_statuses" and spec.min is None and spec.max is None:
            raise _fail(f"{where}.{name}", "needs min or max")
        specs.append(spec)
    return tuple(specs)


def _optional(value: Any, where: str) -> float | None:
    return None if value is None else _number(value, False, where)


def _target(raw: Any, where: str) -> Target:
    if not isinstance(raw, Mapping) or set(raw) - {"service", "replica", "program", "route", "node"}:
        raise _fail(where, "expected {service: S[, replica: N|leader]}, {program: P[, node: N|role]} or {route: R}")
    target = Target(raw.get("service"), raw.get("replica"), raw.get("program"), raw.get("route"), raw.get("node"))
    if target.node is not None:
        _check_node(target, where)
    if sum(x is not None for x in (target.service, target.program, target.route)) != 1:
        raise _fail(where, "name exactly one of service, program, route")
    if target.service is not None and target.service not in SERVICES:
        raise _fail(where, f"unknown service {target.service!r}")
    if target.program is not None and target.program not in PROGRAMS:
        raise _fail(where, f"unknown program {target.program!r}; known: {', '.join(PROGRAMS)}")
    _check_replica(target, where)
    return target


def _check_node(target: Target, where: str) -> None:
    roles = NODE_ROLES.get(target.program or "")
    if roles is None:
        raise _fail(where, f"node names one node of {' or '.join(NODE_ROLES)}")
    if target.node not in roles and not (isinstance(target.node, int) and not isinstance(target.node, bool)
                                         and 1 <= target.node <= 3):
        raise _fail(where, f"node is 1-3 or one of {', '.join(roles)}")


def _check_replica(target: Target, where: str) -> None:
    if target.replica is not None and target.replica != "leader" and not (
            isinstance(target.replica, int) and target.replica >= 1):
        raise _fail(where, "replica is a number from 1 or 'leader'")
    if target.replica == "leader" and target.service != "order":
        raise _fail(where, "only order has a leader (its outbox lease holder)")


def _check_action_target(action: str, target: Target, params: Mapping[str, Any], where: str) -> None:
    if action == "proxy":
        if target.route is None:
            raise _fail(f"{where}.target", "a proxy action targets a route")
        if params.get("mode", "cut") not in PROXY_MODES:
            raise _fail(f"{where}.params.mode", f"expected one of {', '.join(PROXY_MODES)}")
    elif target.route is not None:
        raise _fail(f"{where}.target", f"{action} targets a service or a program, not a route")
    if action == "faults" and target.service is None:
        raise _fail(f"{where}.target", "faults are injected into a service's replicas")
    if action == "isolate" and (target.program != "kafka" or target.node is None):
        raise _fail(f"{where}.target", "isolate cuts one Kafka node off from the others: {program: kafka, node: N|role}")


def _step(raw: Any, index: int, short: bool, where: str) -> Step:
    where = f"{where}[{index}]"
    if not isinstance(raw, Mapping):
        raise _fail(where, "expected a mapping")
    known = {"name", "action", "target", "duration_s", "wait_ready", "params", "during", "with_next",
             "failover_within_s"}
    if set(raw) - known:
        raise _fail(where, f"unknown keys {sorted(set(raw) - known)}")
    action = raw.get("action")
    if action not in ACTIONS:
        raise _fail(f"{where}.action", f"expected one of {', '.join(ACTIONS)}, got {action!r}")
    target = _target(raw.get("target"), f"{where}.target")
    params = dict(raw.get("params") or {})
    _check_action_target(action, target, params, where)
    duration = _number(raw.get("duration_s", 0), short, f"{where}.duration_s")
    if action != "kill" and duration <= 0:
        raise _fail(f"{where}.duration_s", f"a {action} step needs a positive duration")
    during = raw.get("during")
    failover = raw.get("failover_within_s")
    if failover is not None and not isinstance(target.node, str):
        raise _fail(f"{where}.failover_within_s", "needs a target taken by role (node: leader|controller|primary)")
    return Step(
        name=str(raw.get("name") or f"{action} {target.describe()}"),
        action=action, target=target, duration_s=duration,
        wait_ready=bool(raw.get("wait_ready", True)), params=params,
        during=None if during is None else _checks(during, f"{where}.during"),
        with_next=bool(raw.get("with_next", False)),
        failover_within_s=None if failover is None else _number(failover, short, f"{where}.failover_within_s"),
    )


def parse(doc: Any, short: bool = False, where: str = "experiment") -> Experiment:
    if not isinstance(doc, Mapping):
        raise _fail(where, "expected a mapping at the top")
    for key in ("name", "title", "steady_state", "method"):
        if key not in doc:
            raise _fail(where, f"missing {key!r}")
    steady = doc["steady_state"]
    if not isinstance(steady, Mapping) or "checks" not in steady:
        raise _fail(f"{where}.steady_state", "expected {window_s: N, checks: {...}}")
    method = doc["method"]
    if not isinstance(method, list) or not method:
        raise _fail(f"{where}.method", "expected a non-empty list of steps")
    if method[-1].get("with_next") if isinstance(method[-1], Mapping) else False:
        raise _fail(f"{where}.method", "the last step cannot be applied with_next")
    rollbacks = tuple(doc.get("rollbacks") or ())
    for rollback in rollbacks:
        if rollback not in ROLLBACKS:
            raise _fail(f"{where}.rollbacks", f"unknown rollback {rollback!r}; known: {', '.join(ROLLBACKS)}")
    load = doc.get("load") or {}
    profile = str(doc.get("profile", "default"))
    if profile not in PROFILES:
        raise _fail(f"{where}.profile", f"expected one of {', '.join(PROFILES)}")
    return Experiment(
        name=str(doc["name"]),
        title=str(doc["title"]),
        description=str(doc.get("description", "")).strip(),
        expect=str(doc.get("expect", "")).strip(),
        flows_per_s=_number(load.get("flows_per_s", 4), short, f"{where}.load.flows_per_s"),
        window_s=_number(steady.get("window_s", 5), short, f"{where}.steady_state.window_s"),
        steady_state=_checks(steady["checks"], f"{where}.steady_state.checks"),
        during=_checks(doc.get("during"), f"{where}.during"),
        method=tuple(_step(raw, i, short, f"{where}.method") for i, raw in enumerate(method)),
        rollbacks=rollbacks,
        recovery_timeout_s=_number(doc.get("recovery_timeout_s", 60), short, f"{where}.recovery_timeout_s"),
        verify_wait_s=_number(doc.get("verify_wait_s", 60), short, f"{where}.verify_wait_s"),
        short=short,
        profile=profile,
    )


def experiments_dir(repo: Path) -> Path:
    return repo / "infra" / "chaos" / "experiments"


def available(repo: Path) -> dict[str, Path]:
    return {path.stem: path for path in sorted(experiments_dir(repo).glob("*.yaml"))}


def load(path: Path, short: bool = False) -> Experiment:
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ExperimentError(f"{path}: not valid YAML: {error}") from None
    experiment = parse(doc, short, where=path.name)
    if experiment.name != path.stem:
        raise ExperimentError(f"{path}: name {experiment.name!r} differs from the file name")
    return Experiment(**{**experiment.__dict__, "path": path})


def groups(method: tuple[Step, ...]) -> list[tuple[Step, ...]]:
    """Steps applied together: a step with `with_next` joins the next one's group."""
    out: list[tuple[Step, ...]] = []
    current: list[Step] = []
    for step in method:
        current.append(step)
        if not step.with_next:
            out.append(tuple(current))
            current = []
    if current:
        out.append(tuple(current))
    return out

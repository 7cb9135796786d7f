"""Judging a hypothesis over a window of the timeline, and the time it takes to hold again after a fault. Pure."""
from __future__ import annotations

from dataclasses import dataclass

from .experiment import CheckSpec
from .timeline import Timeline, Window, percentile


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    observed: str
    expected: str
    samples: int

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"


def _share(good: int, total: int) -> float | None:
    return good / total if total else None


def _bounded(spec: CheckSpec, value: float | None) -> bool:
    if value is None:
        return False
    if spec.min is not None and value < spec.min:
        return False
    if spec.max is not None and value > spec.max:
        return False
    return True


def _format(name: str, value: float | None) -> str:
    if value is None:
        return "no data"
    if name == "p95_latency_ms":
        return f"{value:.0f} ms"
    if name == "pending_orders":
        return f"{value:.0f}"
    return f"{value:.1%}"


def observe(spec: CheckSpec, timeline: Timeline, window: Window) -> tuple[float | None, int]:
    """The value a check is about in the window, and how many samples it rests on."""
    name = spec.name
    if name == "checkout_success":
        flows = timeline.flows_in(window)
        return _share(sum(f.ok for f in flows), len(flows)), len(flows)
    if name in ("request_success", "browse_success"):
        requests = timeline.requests_in(window, "browse" if name == "browse_success" else None)
        return _share(sum(r.ok for r in requests), len(requests)), len(requests)
    if name == "p95_latency_ms":
        requests = timeline.requests_in(window)
        return percentile([r.latency_ms for r in requests], 95), len(requests)
    if name in ("services_ready", "replicas_ready"):
        samples = timeline.readiness_in(window)
        ready = [all((s.services if name == "services_ready" else s.replicas).values()) for s in samples]
        return _share(sum(ready), len(ready)), len(ready)
    if name == "pending_orders":
        samples = timeline.pending_in(window)
        return (max(p.count for p in samples) if samples else None), len(samples)
    raise ValueError(f"unknown check {name}")


def evaluate(spec: CheckSpec, timeline: Timeline, window: Window) -> CheckResult:
    if spec.name == "failed_statuses":
        failed = [r for r in timeline.requests_in(window) if not r.ok]
        statuses = sorted({r.status for r in failed})
        unexpected = [s for s in statuses if s not in spec.allowed]
        observed = ", ".join(f"{s} x{sum(r.status == s for r in failed)}" for s in statuses) or "no failures"
        return CheckResult(spec.name, not unexpected, observed, spec.describe(), len(failed))
    value, samples = observe(spec, timeline, window)
    return CheckResult(spec.name, _bounded(spec, value), _format(spec.name, value), spec.describe(), samples)


def evaluate_all(specs: tuple[CheckSpec, ...], timeline: Timeline, window: Window) -> list[CheckResult]:
    return [evaluate(spec, timeline, window) for spec in specs]


def holds(specs: tuple[CheckSpec, ...], timeline: Timeline, window: Window) -> bool:
    return all(result.ok for result in evaluate_all(specs, timeline, window))


def recovery(specs: tuple[CheckSpec, ...], timeline: Timeline, fault_end: float, window_s: float,
             until: float, step_s: float = 0.5) -> float | None:
    """Seconds from `fault_end` to the start of the first window of `window_s` (sliding by `step_s`, ending by
    `until`) over which every check holds; None when none does."""
    start = fault_end
    while start + window_s <= until + 1e-9:
        if holds(specs, timeline, Window(start, start + window_s)):
            return round(start - fault_end, 2)
        start += step_s
    return None

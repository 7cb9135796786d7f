"""Runs one experiment: steady state before, each fault with its tolerance, recovery after, then the invariants.

Whatever happens (a failed check, an exception, Ctrl-C), every fault that was applied is lifted and the
experiment's rollbacks run before the runner returns: later experiments and tests share the same stack.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import requests

from .. import ledger as ledgers
from .. import verify
from ..settings import Settings
from . import hypothesis
from .backends import ActiveFault, Backend
from . import experiment as experiments
from .experiment import Experiment, Step
from .hypothesis import CheckResult
from .load import ClientRetry, LoadSource, PendingSampler, SteadyTraffic, Targets
from .timeline import Readiness, Timeline, Window

WARMUP_S = 1.0
READY_WAIT_S = 60.0
PREFLIGHT_WAIT_S = 30.0
MAX_FLOWS = 20_000
LOAD_SKUS = 8


@dataclass
class StepOutcome:
    step: Step
    description: str
    window: Window            # what is judged: from the fault until the next step (or until it was lifted)
    fault: Window             # from applying the fault until it was lifted
    results: list[CheckResult]
    ready_after_s: float | None = None
    figures: dict = field(default_factory=dict)   # what the backend measured (failover and election times)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)


@dataclass
class RunResult:
    experiment: Experiment
    backend: str
    started_at: str
    timeline: Timeline = field(default_factory=Timeline)
    before: list[CheckResult] = field(default_factory=list)
    steps: list[StepOutcome] = field(default_factory=list)
    after: list[CheckResult] = field(default_factory=list)
    fault_end: float | None = None
    recovery_s: float | None = None
    verify_checks: list[verify.Check] = field(default_factory=list)
    verify_waited_s: float = 0.0
    accepted: dict[str, str] = field(default_factory=dict)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    rollbacks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    aborted: str | None = None
    duration_s: float = 0.0
    ledger: ledgers.Ledger | None = None                 # acknowledged writes (judged in verify_checks)
    lost_acknowledged: dict[str, int] = field(default_factory=dict)   # per write class

    @property
    def fault_window(self) -> Window | None:
        """From the first fault applied to the last one lifted."""
        if self.fault_end is None or not self.steps:
            return None
        return Window(min(s.fault.start for s in self.steps), self.fault_end, "faults")

    @property
    def verdict(self) -> str:
        if self.aborted:
            return "ABORTED"
        judged = [
            all(r.ok for r in self.before),
            all(s.ok for s in self.steps),
            self.recovery_s is not None and all(r.ok for r in self.after),
            all(c.ok for c in self.verify_checks if c.judged) and bool(self.verify_checks),
            not self.lost, not self.duplicated, not self.errors,
        ]
        return "PASS" if all(judged) else "FAIL"


def failover_check(within_s: float, figures: dict) -> CheckResult:
    """The node a step took by role was replaced (new partition leader, controller, primary) within `within_s`."""
    measured = next((v for k, v in figures.items() if k.endswith("after (s)")), None)
    seconds = measured if isinstance(measured, (int, float)) else None
    observed = "not measured" if measured is None else (f"{seconds:.1f} s" if seconds is not None else str(measured))
    return CheckResult("failover_s", seconds is not None and seconds <= within_s, observed, f"<= {within_s:g} s", 1)


class Runner:
    def __init__(self, settings: Settings, backend: Backend, experiment: Experiment,
                 load: LoadSource | None = None, say: Callable[[str], None] = print,
                 on_phase: Callable[[str, str], None] | None = None) -> None:
        self.settings = settings
        self._on_phase = on_phase
        self.backend = backend
        self.experiment = experiment
        self.say = say
        self._load = load
        self._t0 = time.monotonic()
        self._stop_probes = threading.Event()

    def phase(self, name: str, detail: str = "") -> None:
        """Tell a watcher (the control room's phase file) which phase the run is in."""
        if self._on_phase is not None:
            self._on_phase(name, detail)

    def clock(self) -> float:
        return round(time.monotonic() - self._t0, 3)

    def sleep_until(self, t: float) -> None:
        time.sleep(max(t - self.clock(), 0.0))

    # --- traffic and probes -----------------------------------------------------------------------------------
    def skus(self) -> list[str]:
        """The SKUs with the most stock, so the run's orders confirm rather than run the catalog dry."""
        products = requests.get(f"{self.settings.service_url('inventory')}/products", timeout=5).json()["products"]
        ranked = sorted(products, key=lambda p: p["available"], reverse=True)
        return [p["sku"] for p in ranked[:LOAD_SKUS]]

    def default_load(self) -> LoadSource:
        exp = self.experiment
        longest = (exp.window_s * 3 + sum(s.duration_s for s in exp.method) + READY_WAIT_S * len(exp.method)
                   + exp.recovery_timeout_s + 60)
        return SteadyTraffic(
            Targets(self.settings.service_url("cart"), self.settings.service_url("inventory"),
                    self.settings.service_url("order")),
            flows_per_s=exp.flows_per_s, max_s=longest, max_flows=MAX_FLOWS, skus=self.skus(),
            retry=ClientRetry())

    def _probe_readiness(self, timeline: Timeline) -> None:
        while not self._stop_probes.is_set():
            t = self.clock()
            services, replicas = self.backend.readiness()
            timeline.add(Readiness(t, services, replicas))
            self._stop_probes.wait(max(1.0 - (self.clock() - t), 0.1))

    # --- phases -----------------------------------------------------------------------------------------------
    def run(self) -> RunResult:
        exp = self.experiment
        result = RunResult(exp, self.backend.name, datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self._t0 = time.monotonic()
        problems = self.backend.preflight()
        deadline = time.monotonic() + PREFLIGHT_WAIT_S
        while problems and time.monotonic() < deadline:   # e.g. replicas still starting after the last run
            time.sleep(1.0)
            problems = self.backend.preflight()
        if problems:
            result.aborted = "; ".join(problems)
            self.say(f"aborted before any fault: {result.aborted}")
            return result
        timeline = result.timeline
        load = self._load or self.default_load()
        pending = PendingSampler(self.settings.service_url("order"), load)
        self._pending = pending
        probes = threading.Thread(target=self._probe_readiness, args=(timeline,), name="chaos-ready", daemon=True)
        probes.start()
        pending.start(timeline, self.clock)
        load.start(timeline, self.clock)
        try:
            self._experiment(result, load)
        finally:
            load.stop()
            result.accepted = load.accepted()
            try:
                if not result.aborted:
                    self._verify(result)
            finally:
                pending.stop()
                self._stop_probes.set()
                probes.join(timeout=10)
                result.duration_s = self.clock()
        return result

    def _experiment(self, result: RunResult, load: LoadSource) -> None:
        exp = self.experiment
        # From when the load really runs: its warm-up (a cart line per SKU) can take seconds on a loaded machine.
        opens = max(WARMUP_S, self.clock() + WARMUP_S / 2)
        before = Window(opens, opens + exp.window_s, "before")
        self.say(f"steady state before: {exp.window_s:g} s of load at {exp.flows_per_s:g} checkouts/s")
        self.phase("steady state", f"{exp.window_s:g} s of load at {exp.flows_per_s:g} checkouts/s")
        self.sleep_until(before.end)
        result.before = hypothesis.evaluate_all(exp.steady_state, result.timeline.snapshot(), before)
        self._report_checks("before", result.before)
        if not all(r.ok for r in result.before):
            result.aborted = "the steady-state hypothesis does not hold before any fault"
            self.say(f"aborted: {result.aborted}")
            return
        active: list[ActiveFault] = []
        try:
            self._method(result, active)
        except Exception as error:  # noqa: BLE001 - reported in the verdict; rollbacks still run
            result.errors.append(f"{type(error).__name__}: {error}")
            self.say(f"error during the method: {error}")
        finally:
            for fault in active:
                try:
                    fault.lift_once()
                except Exception as error:  # noqa: BLE001
                    result.errors.append(f"lifting {fault.description}: {error}")
            for name in exp.rollbacks:
                try:
                    result.rollbacks.append(f"{name}: {self.backend.rollback(name)}")
                except Exception as error:  # noqa: BLE001
                    result.errors.append(f"rollback {name}: {error}")
        if result.fault_end is not None:
            self._after(result)

    def _method(self, result: RunResult, active: list[ActiveFault]) -> None:
        applied: list[tuple[Step, ActiveFault, float, float, float | None]] = []
        try:
            self._apply_steps(applied, active, result)
        finally:
            self._judge_steps(applied, result)

    def _apply_steps(self, applied: list, active: list[ActiveFault], result: RunResult) -> None:
        for group in experiments.groups(self.experiment.method):
            start = self.clock()
            faults = []
            for step in group:
                fault = self.backend.apply(step)
                active.append(fault)
                faults.append(fault)
                self.phase("fault", f"{step.name}: {fault.description}")
                self.say(f"[{self.clock():6.1f}s] {step.name}: {fault.description}")
            self.sleep_until(start + max(step.duration_s for step in group))
            for fault in faults:
                fault.lift_once()
            lifted = self.clock()
            result.fault_end = lifted
            ready_after = None
            if any(step.wait_ready for step in group):
                deadline = time.monotonic() + READY_WAIT_S
                while not all(f.ready() for f in faults) and time.monotonic() < deadline:
                    time.sleep(0.2)
                ready_after = round(self.clock() - lifted, 2) if all(f.ready() for f in faults) else None
            self.say(f"[{lifted:6.1f}s] lifted" + (f"; target ready {ready_after:.1f} s later"
                                                     if ready_after is not None else ""))
            applied += [(step, fault, start, lifted, ready_after) for step, fault in zip(group, faults)]

    def _judge_steps(self, applied: list, result: RunResult) -> None:
        exp = self.experiment
        snapshot = result.timeline.snapshot()
        for index, (step, fault, start, lifted, ready_after) in enumerate(applied):
            later = [other[2] for other in applied[index + 1:] if other[2] > start]
            until = later[0] if later else lifted + (ready_after or 0.0)
            window = Window(start, max(until, start + 0.5), step.name, answered_by=later[0] if later else None)
            specs = step.during if step.during is not None else exp.during
            results = hypothesis.evaluate_all(specs, snapshot, window)
            if step.failover_within_s is not None:
                results.append(failover_check(step.failover_within_s, fault.figures))
            outcome = StepOutcome(step, fault.description, window, Window(start, lifted, step.name),
                                  # the backend's own dict: a watch still running (e.g. "back in every ISR
                                  # after lifting") fills it in before the report is written
                                  results, ready_after, figures=fault.figures)
            result.steps.append(outcome)
            result.timeline.faults.append(outcome.fault)
            self._report_checks(f"during {step.name}", outcome.results)

    def _after(self, result: RunResult) -> None:
        exp = self.experiment
        end = result.fault_end
        self.say(f"after: waiting up to {exp.recovery_timeout_s:g} s for the steady state to hold "
                 f"for {exp.window_s:g} s")
        self.phase("recovery", f"waiting up to {exp.recovery_timeout_s:g} s for the steady state")
        while True:
            time.sleep(0.5)
            now = self.clock()
            recovered = hypothesis.recovery(exp.steady_state, result.timeline.snapshot(), end, exp.window_s, now)
            if recovered is not None or now - end > exp.recovery_timeout_s + exp.window_s:
                break
        result.recovery_s = recovered
        start = end + recovered if recovered is not None else max(end, now - exp.window_s)
        result.after = hypothesis.evaluate_all(exp.steady_state, result.timeline.snapshot(),
                                               Window(start, start + exp.window_s, "after"))
        self._report_checks("after", result.after)
        self.say(f"recovery: {result.recovery_s:.1f} s after the last fault was lifted" if recovered is not None
                 else f"no recovery within {exp.recovery_timeout_s:g} s")

    def _verify(self, result: RunResult) -> None:
        exp, s = self.experiment, self.settings
        self.say(f"verify: waiting up to {exp.verify_wait_s:g} s for the system to be quiet")
        self.phase("verdict", "faultline verify: waiting for the system to be quiet")
        try:
            # This run's own orders: other traffic (a background Locust, another test) may go on meanwhile.
            scope = verify.Scope.of(result.accepted.values())
            snap, waited = verify.settle(
                lambda: verify.snapshot(s.service_url("order"), s.service_url("inventory"), s.service_url("email")),
                exp.verify_wait_s, scope=scope)
        except requests.RequestException as error:
            result.errors.append(f"verify could not read the system: {error}")
            return
        result.verify_waited_s = waited
        reservation_of = verify.reservations_at(s.service_url("inventory"))
        try:
            judged = verify.judge(snap, scope, reservation_of)
        except requests.RequestException as error:
            result.errors.append(f"verify could not ask inventory for this run's reservations: {error}")
            return
        result.verify_checks = judged + [verify.check_mailpit(s.mailpit_url),
                                         verify.check_dead_letters(s.kafka_bootstrap)]
        known: dict[str, list[str]] = {}
        for order in snap.orders:
            known.setdefault(order["idempotency_key"], []).append(order["order_id"])
        self._check_ledger(result, snap, reservation_of)
        ids = {order["order_id"] for order in snap.orders}
        result.lost = sorted(oid for oid in result.accepted.values() if oid not in ids)
        result.duplicated = sorted(key for key in result.accepted if len(known.get(key, [])) > 1)
        failed = [c for c in result.verify_checks if c.judged and not c.ok]
        self.say(f"verify: {len(result.verify_checks) - len(failed)} of {len(result.verify_checks)} checks hold; "
                 f"orders lost {len(result.lost)}, duplicated {len(result.duplicated)}")

    def _check_ledger(self, result: RunResult, snap: verify.Snapshot,
                      reservation_of: Callable[[str], str | None]) -> None:
        """Every write the run's customers were told succeeded, against what the system holds now."""
        from .ha_figures import ledger_of

        result.ledger = ledger_of(result.timeline.snapshot(), result.accepted, set(self._pending.confirmed))
        try:
            comparison = ledgers.compare(result.ledger, snap, reservation_of)
        except requests.RequestException as error:
            result.errors.append(f"the ledger could not be checked: {error}")
            return
        result.lost_acknowledged = comparison.lost()
        result.verify_checks += comparison.checks()

    def _report_checks(self, phase: str, results: list[CheckResult]) -> None:
        for r in results:
            self.say(f"  {phase:<28} {r.name:<18} {r.verdict}  {r.observed} (expected {r.expected})")

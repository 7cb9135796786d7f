"""The run's report: summary.md (pure text from a RunResult), run.json (the figures), timeline.png (plot.py)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from . import recovery
from .hypothesis import CheckResult
from .runner import RunResult, StepOutcome
from .timeline import Window


def failed_by_status(result: RunResult) -> dict[str, Counter]:
    """Failed HTTP requests by kind and status over the whole run."""
    table: dict[str, Counter] = {}
    for request in result.timeline.requests:
        if not request.ok:
            table.setdefault(request.kind, Counter())[request.status] += 1
    return table


def recovery_figures(result: RunResult) -> dict[str, Any]:
    """Seconds after the last fault was lifted: steady state holds, first checkout succeeds, backlog drained."""
    window = result.fault_window
    timeline = result.timeline
    last = result.steps[-1] if result.steps else None
    ready = last.ready_after_s if last is not None and last.step.wait_ready else None
    return {
        "target_ready_s": ready,
        "recovery_s": result.recovery_s,
        # What a fault's own restart does not explain (Kafka's JVM and registration, a replica's imports): from the
        # probe first seeing the last lifted target ready to the steady state; 0 when it held before that.
        "recovery_after_ready_s": (None if ready is None or result.recovery_s is None
                                   else round(max(result.recovery_s - ready, 0.0), 1)),
        "first_success_s": None if window is None else recovery.first_success_s(timeline, window.end),
        "backlog_drained_s": None if window is None else recovery.backlog_drained_s(timeline, window),
        "backlog_orders": None if window is None else len(recovery.backlog(timeline, window)),
        "pending_max": recovery.pending_max(timeline),
    }


def failover_figures(result: RunResult) -> dict[str, dict]:
    """Step name -> what the backend measured while it was on (new leader, controller or primary after N s)."""
    return {step.step.name: step.figures for step in result.steps if step.figures}


def figures(result: RunResult) -> dict[str, Any]:
    flows = result.timeline.flows
    requests = result.timeline.requests
    return {
        "experiment": result.experiment.name,
        "short": result.experiment.short,
        "backend": result.backend,
        "started_at": result.started_at,
        "verdict": result.verdict,
        "aborted": result.aborted,
        "duration_s": round(result.duration_s, 1),
        "requests": len(requests),
        "failed_requests": sum(not r.ok for r in requests),
        "failed_by_status": {kind: dict(c) for kind, c in failed_by_status(result).items()},
        "checkouts": len(flows),
        "failed_checkouts": sum(not f.ok for f in flows),
        "checkouts_retried": sum(f.attempts > 1 for f in flows),
        "orders_accepted": len(result.accepted),
        "orders_lost": len(result.lost),
        "orders_duplicated": len(result.duplicated),
        **recovery_figures(result),
        "errors": result.errors,
        **_ha_figures(result),
    }


def seconds(value: float | None, missing: str = "never") -> str:
    return missing if value is None else f"{value:.1f} s"


def _ha_figures(result: RunResult) -> dict[str, Any]:
    return {"failover": failover_figures(result), "lost_acknowledged": result.lost_acknowledged}


def _ha_rows(result: RunResult) -> list[list[Any]]:
    """The failover figures of each step taken by role, and the acknowledged writes lost per class."""
    f = _ha_figures(result)
    rows = [[f"{step}: {name}", value] for step, measured in f["failover"].items() for name, value in measured.items()]
    if f["lost_acknowledged"]:
        rows.append(["acknowledged writes lost", ", ".join(f"{k} {v}" for k, v in f["lost_acknowledged"].items())])
    return rows


def _table(headers: list[str], rows: list[list[str]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _check_rows(phase: str, window: Window | None, results: list[CheckResult]) -> list[list[str]]:
    where = f"{window.start:.1f}–{window.end:.1f} s" if window else ""
    return [[phase, where, r.name, r.expected, r.observed, r.verdict] for r in results]


def _section(title: str, *lines: str) -> list[str]:
    return [f"## {title}", "", *lines, ""]


def _header(result: RunResult) -> list[str]:
    exp = result.experiment
    out = [f"# Chaos experiment `{exp.name}`: {result.verdict}", "",
           f"{exp.title}. Backend `{result.backend}`, {'short' if exp.short else 'full'} form, started "
           f"{result.started_at}, {result.duration_s:.0f} s.", ""]
    if exp.description:
        out += [exp.description, ""]
    if exp.expect:
        out += ["**What you should see.** " + exp.expect, ""]
    if result.aborted:
        out += [f"**Aborted:** {result.aborted}. No fault was injected.", ""]
    return out


def _figures_section(result: RunResult) -> list[str]:
    f = figures(result)
    faulted = not result.aborted and result.fault_window is not None
    after = seconds if faulted else (lambda value: "n/a")
    backlog = after(f["backlog_drained_s"]) + (f" ({f['backlog_orders']} orders)" if faulted else "")
    return _section("Figures", _table(["figure", "value"], [
        ["verdict", result.verdict],
        ["checkouts (failed after client retries)", f"{f['checkouts']} ({f['failed_checkouts']})"],
        ["HTTP requests (failed)", f"{f['requests']} ({f['failed_requests']})"],
        ["recovery time (fault lifted → steady state holds)", after(f["recovery_s"])],
        ["recovery after the target is ready (the probe sees the last lifted target ready → steady state holds)",
         "n/a" if f["recovery_after_ready_s"] is None else seconds(f["recovery_after_ready_s"])],
        ["first success after the fault (fault lifted → a checkout answered 202)", after(f["first_success_s"])],
        ["backlog drained (fault lifted → no order accepted during the fault still PENDING)", backlog],
        ["pending orders (most at one time)", "n/a" if f["pending_max"] is None else f["pending_max"]],
        ["orders accepted", f["orders_accepted"]],
        ["orders lost", f["orders_lost"]],
        ["orders duplicated", f["orders_duplicated"]],
        *_ha_rows(result),
    ]))


def _hypothesis_section(result: RunResult) -> list[str]:
    exp = result.experiment
    rows = _check_rows("before", Window(1.0, 1.0 + exp.window_s), result.before)
    for step in result.steps:
        rows += _check_rows(f"during: {step.step.name}", step.window, step.results)
    if result.after:
        start = (result.fault_end or 0) + (result.recovery_s or 0)
        rows += _check_rows("after", Window(start, start + exp.window_s), result.after)
    return _section("Hypothesis", "Checks are judged on requests and checkouts *started* in the window; one "
                    "answered only after the next fault began ran into that fault and is judged by neither step.", "",
                    _table(["phase", "window", "check", "expected", "observed", "verdict"], rows))


def _ready_after(step: StepOutcome) -> str:
    if not step.step.wait_ready:
        return "n/a"
    return seconds(step.ready_after_s, missing="not ready")


def _faults_section(result: RunResult) -> list[str]:
    if not result.steps:
        return []
    return _section("Faults", _table(["step", "fault", "applied", "lifted", "target ready after lifting"], [
        [s.step.name, s.description, f"{s.fault.start:.1f} s", f"{s.fault.end:.1f} s", _ready_after(s)]
        for s in result.steps]))


def _failures_section(result: RunResult) -> list[str]:
    failures = failed_by_status(result)
    if not failures:
        return _section("Failed requests by status", "None.")
    return _section("Failed requests by status", _table(["request", "status", "count"], [
        [kind, status, n] for kind, counter in sorted(failures.items()) for status, n in sorted(counter.items())]))


def _examples(ids: list[str]) -> str:
    return f" e.g. {ids[:3]}" if ids else ""


def _orders_section(result: RunResult) -> list[str]:
    return _section("Orders this run placed",
                    f"{len(result.accepted)} accepted; lost (accepted, unknown to order): {len(result.lost)}"
                    f"{_examples(result.lost)}; duplicated (two orders for one Idempotency-Key): "
                    f"{len(result.duplicated)}{_examples(result.duplicated)}.")


def _verify_section(result: RunResult) -> list[str]:
    if not result.verify_checks:
        return []
    return _section(f"faultline verify (waited {result.verify_waited_s:.1f} s for quiet)",
                    _table(["check", "verdict", "detail"], [[c.name, c.verdict, c.detail] for c in result.verify_checks]))


def _list_section(title: str, lines: list[str]) -> list[str]:
    return _section(title, *(f"- {line}" for line in lines)) if lines else []


def summary_markdown(result: RunResult) -> str:
    out = (_header(result) + _figures_section(result) + _hypothesis_section(result) + _faults_section(result)
           + _failures_section(result) + _orders_section(result) + _verify_section(result)
           + _list_section("Rollbacks", result.rollbacks) + _list_section("Errors", result.errors)
           + ["![timeline](timeline.png)", ""])
    return "\n".join(out)


RUNS_HEADERS = ["experiment", "verdict", "checkouts (failed)", "failed requests", "last target ready", "recovery",
                "recovery after ready", "first success", "backlog drained (orders)", "pending max", "lost",
                "duplicated"]


def runs_row(f: dict[str, Any]) -> list[str]:
    """One experiment's line of the table across runs, from its run.json figures."""
    backlog = seconds(f.get("backlog_drained_s"), missing="n/a" if f.get("backlog_orders") is None else "never")
    if f.get("backlog_orders") is not None:
        backlog += f" ({f['backlog_orders']})"
    return [f["experiment"] + (" (short)" if f.get("short") else ""), f["verdict"],
            f"{f['checkouts']} ({f['failed_checkouts']})", f["failed_requests"],
            seconds(f.get("target_ready_s"), missing="n/a"),
            seconds(f.get("recovery_s"), missing="n/a" if f.get("aborted") else "never"),
            seconds(f.get("recovery_after_ready_s"), missing="n/a"),
            seconds(f.get("first_success_s"), missing="n/a"), backlog,
            "n/a" if f.get("pending_max") is None else f["pending_max"],
            f["orders_lost"], f["orders_duplicated"]]


def runs_table(runs: list[dict[str, Any]]) -> str:
    """The summary table across experiments (make chaos-all, docs/failure-handling.md)."""
    return _table(RUNS_HEADERS, [runs_row(f) for f in runs])


def report_dir(root: Path, name: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    path = root / f"{stamp}-{name}"
    suffix = 1
    while path.exists():
        suffix += 1
        path = root / f"{stamp}-{name}-{suffix}"
    return path


def write(result: RunResult, root: Path) -> Path:
    from .plot import timeline_png

    folder = report_dir(root, result.experiment.name)
    folder.mkdir(parents=True)
    (folder / "summary.md").write_text(summary_markdown(result))
    (folder / "run.json").write_text(json.dumps(figures(result), indent=2) + "\n")
    if result.ledger is not None:
        (folder / "ledger.json").write_text(result.ledger.to_json())
    timeline_png(result, folder / "timeline.png")
    return folder

"""The run's report: summary.md (pure text from a RunResult), run.json (the figures), timeline.png (plot.py)."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from .hypothesis import CheckResult
from .runner import RunResult
from .timeline import Window


def failed_by_status(result: RunResult) -> dict[str, Counter]:
    """Failed HTTP requests by kind and status over the whole run."""
    table: dict[str, Counter] = {}
    for request in result.timeline.requests:
        if not request.ok:
            table.setdefault(request.kind, Counter())[request.status] += 1
    return table


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
        "recovery_s": result.recovery_s,
        "errors": result.errors,
    }


def _table(headers: list[str], rows: list[list[str]]) -> str:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _check_rows(phase: str, window: Window | None, results: list[CheckResult]) -> list[list[str]]:
    where = f"{window.start:.1f}–{window.end:.1f} s" if window else ""
    return [[phase, where, r.name, r.expected, r.observed, r.verdict] for r in results]


def summary_markdown(result: RunResult) -> str:
    exp = result.experiment
    f = figures(result)
    out = [f"# Chaos experiment `{exp.name}`: {result.verdict}", "",
           f"{exp.title}. Backend `{result.backend}`, {'short' if exp.short else 'full'} form, started "
           f"{result.started_at}, {result.duration_s:.0f} s.", ""]
    if exp.description:
        out += [exp.description, ""]
    if exp.expect:
        out += ["**What you should see.** " + exp.expect, ""]
    if result.aborted:
        out += [f"**Aborted:** {result.aborted}. No fault was injected.", ""]
    out += ["## Figures", "", _table(["figure", "value"], [
        ["verdict", result.verdict],
        ["checkouts (failed after client retries)", f"{f['checkouts']} ({f['failed_checkouts']})"],
        ["HTTP requests (failed)", f"{f['requests']} ({f['failed_requests']})"],
        ["recovery time (fault lifted → steady state holds)",
         "n/a" if result.aborted or result.fault_end is None else
         ("never" if result.recovery_s is None else f"{result.recovery_s:.1f} s")],
        ["orders accepted", f["orders_accepted"]],
        ["orders lost", f["orders_lost"]],
        ["orders duplicated", f["orders_duplicated"]],
    ]), ""]
    rows = _check_rows("before", Window(1.0, 1.0 + exp.window_s), result.before)
    for step in result.steps:
        rows += _check_rows(f"during: {step.step.name}", step.window, step.results)
    if result.after:
        start = (result.fault_end or 0) + (result.recovery_s or 0)
        rows += _check_rows("after", Window(start, start + exp.window_s), result.after)
    out += ["## Hypothesis", "", "Checks are judged on requests and checkouts *started* in the window.", "",
            _table(["phase", "window", "check", "expected", "observed", "verdict"], rows), ""]
    if result.steps:
        out += ["## Faults", "", _table(["step", "fault", "applied", "lifted", "target ready after lifting"], [
            [s.step.name, s.description, f"{s.fault.start:.1f} s", f"{s.fault.end:.1f} s",
             "n/a" if not s.step.wait_ready else
             ("not ready" if s.ready_after_s is None else f"{s.ready_after_s:.1f} s")] for s in result.steps]), ""]
    failures = failed_by_status(result)
    out += ["## Failed requests by status", ""]
    if failures:
        out += [_table(["request", "status", "count"],
                       [[kind, status, n] for kind, counter in sorted(failures.items())
                        for status, n in sorted(counter.items())]), ""]
    else:
        out += ["None.", ""]
    out += ["## Orders this run placed", "",
            f"{len(result.accepted)} accepted; lost (accepted, unknown to order): {len(result.lost)}"
            + (f" e.g. {result.lost[:3]}" if result.lost else "")
            + f"; duplicated (two orders for one Idempotency-Key): {len(result.duplicated)}"
            + (f" e.g. {result.duplicated[:3]}" if result.duplicated else "") + ".", ""]
    if result.verify_checks:
        out += [f"## faultline verify (waited {result.verify_waited_s:.1f} s for quiet)", "",
                _table(["check", "verdict", "detail"], [[c.name, c.verdict, c.detail] for c in result.verify_checks]),
                ""]
    if result.rollbacks:
        out += ["## Rollbacks", ""] + [f"- {line}" for line in result.rollbacks] + [""]
    if result.errors:
        out += ["## Errors", ""] + [f"- {line}" for line in result.errors] + [""]
    out += ["![timeline](timeline.png)", ""]
    return "\n".join(out)


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
    timeline_png(result, folder / "timeline.png")
    return folder

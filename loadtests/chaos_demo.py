"""`make chaos-demo`: the chaos runner's faults (loadtests/chaos-demo.yaml) under Locust's journeys.

The runner (faultline_ops.chaos) takes any `LoadSource`; `LocustLoad` is one: it runs loadtests/locustfile.py in a
Locust subprocess with `--events-file`, and turns each line into the runner's timeline samples (requests and
checkout flows, on the runner's clock). Sagas (accepted -> terminal) are kept here and plotted beside the runner's
own timeline; the polls that follow the orders are left out of the runner's request figures (their number grows
with the pending orders, which would swamp the shoppers' steady rate in the plot). The run ends with `faultline verify`. Everything goes into the runner's report folder:
summary.md and timeline.png (the runner's), saga.png, demo.md and Locust's CSV and HTML report (this script's).

Works against the stack the FAULTLINE_* variables name (default: `make up`'s), on the loopback interface only.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from faultline_ops import settings as settings_module
from faultline_ops.chaos import experiment as experiments
from faultline_ops.chaos import report
from faultline_ops.chaos.backends import backend_for
from faultline_ops.chaos.load import require_loopback
from faultline_ops.chaos.runner import Runner
from faultline_ops.chaos.timeline import Flow, Request, Timeline, Window, percentile

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def kind_of(name: str) -> str:
    """The runner's request kinds from the locustfile's request names."""
    if name.startswith("bad input"):
        return "bad-input"
    if name.startswith("inventory"):
        return "browse"
    if "/items/" in name:
        return "add"
    if "checkout" in name:
        return "checkout"
    if "(follow)" in name:
        return "follow"
    return "other"


@dataclass(frozen=True)
class Saga:
    t: float            # accepted, on the runner's clock
    ms: float
    outcome: str
    ok: bool


class LocustLoad:
    """A LoadSource: Locust shoppers in a subprocess, their events tailed into the runner's timeline."""

    def __init__(self, settings, out: Path, users: int, think_s: tuple[float, float], max_s: float) -> None:
        self.settings = settings
        self.out = out
        self.users = users
        self.think_s = think_s
        self.max_s = max_s
        self.events_file = out / "events.jsonl"
        self.sagas: list[Saga] = []
        self._accepted: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._process: subprocess.Popen | None = None
        self._tail: threading.Thread | None = None
        self.exit_code: int | None = None

    def start(self, timeline: Timeline, clock) -> None:
        self._timeline = timeline
        self._offset = clock() - time.time()   # runner time = wall time + offset
        s = self.settings
        hosts = [require_loopback(s.service_url(name)) for name in ("cart", "inventory", "order")]
        self.events_file.write_text("")
        command = [str(BIN / "locust"), "-f", str(HERE / "locustfile.py"), "--headless", "--only-summary",
                   "--host", hosts[0], "--inventory-host", hosts[1], "--order-host", hosts[2],
                   "--users", str(self.users), "--spawn-rate", str(self.users), "--run-time", f"{int(self.max_s)}s",
                   "--think-min", str(self.think_s[0]), "--think-max", str(self.think_s[1]), "--retries", "3",
                   "--restock", "100000", "--admin-token", s.admin_token, "--stop-timeout", "30",
                   "--events-file", str(self.events_file), "--csv", str(self.out / "locust"),
                   "--csv-full-history", "--html", str(self.out / "locust.html")]
        self._log = open(self.out / "locust.log", "w")
        self._process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self._tail = threading.Thread(target=self._follow, name="locust-events", daemon=True)
        self._tail.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)   # Locust stops its users, writes its reports, exits
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        if self._process is not None:
            self.exit_code = self._process.returncode
        self._stop.set()
        if self._tail is not None:
            self._tail.join(timeout=10)
        self._log.close()

    def accepted(self) -> dict[str, str]:
        with self._lock:
            return dict(self._accepted)

    def _follow(self) -> None:
        with open(self.events_file, encoding="utf-8") as events:
            buffer = ""
            while True:
                chunk = events.read()
                if chunk:
                    buffer += chunk
                    *lines, buffer = buffer.split("\n")
                    for line in lines:
                        if line.strip():
                            self._sample(json.loads(line))
                elif self._stop.is_set():
                    return
                else:
                    time.sleep(0.1)

    def _sample(self, event: dict) -> None:
        t = round(event["t"] + self._offset, 3)
        if event["kind"] == "flow":
            if event["ok"]:
                with self._lock:
                    self._accepted[event["key"]] = event["order_id"]
            self._timeline.add(Flow(t, event["key"], event["ok"], event["order_id"], event["attempts"],
                                    str(event["status"])))
        elif event["type"] == "SAGA":
            self.sagas.append(Saga(t, event["ms"], event["name"].rsplit(" ", 1)[-1], event["ok"]))
        elif kind_of(event["name"]) == "follow":
            return   # the saga tracker's polls: plotted as saga latency, not as shoppers' requests
        else:
            status = str(event["status"]) if event["status"] else "error"
            self._timeline.add(Request(t, kind_of(event["name"]), status, event["ms"], event["ok"]))


def saga_png(sagas: list[Saga], faults: list[Window], title: str, path: Path) -> None:
    """Saga latency (p50 and p95 per 2 s of acceptance time, and every saga as a dot), faults shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 3.6))
    for i, fault in enumerate(faults):
        ax.axvspan(fault.start, max(fault.end, fault.start + 0.5), color="#f4a582", alpha=0.35,
                   label="fault" if i == 0 else None)
        ax.text(fault.start, 1.0, fault.label, transform=ax.get_xaxis_transform(), rotation=90, va="top",
                fontsize=7, color="#b2182b")
    done = [s for s in sagas if s.ok]
    ax.scatter([s.t for s in done], [s.ms for s in done], s=4, color="#9ecae1", label="one saga")
    width = 2.0
    end = max((s.t for s in sagas), default=0.0)
    centers, p50, p95 = [], [], []
    for i in range(int(math.ceil(end / width)) + 1):
        values = [s.ms for s in done if i * width <= s.t < (i + 1) * width]
        centers.append(i * width + width / 2)   # an empty bucket breaks the lines (NaN) instead of bridging it
        p50.append(percentile(values, 50) if values else math.nan)
        p95.append(percentile(values, 95) if values else math.nan)
    ax.plot(centers, p50, color="#2166ac", label="p50")
    ax.plot(centers, p95, color="#762a83", label="p95")
    failed = [s for s in sagas if not s.ok]
    if failed:
        ax.scatter([s.t for s in failed], [s.ms for s in failed], marker="x", color="#d6604d",
                   label="no outcome in time")
    ax.set_xlabel("seconds since the run started (by acceptance time)")
    ax.set_ylabel("checkout accepted → terminal (ms)")
    ax.set_yscale("symlog", linthresh=1000)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def verify(settings_env: dict[str, str]) -> tuple[int, str]:
    result = subprocess.run([str(BIN / "faultline"), "verify", "--wait", "90"], env=settings_env,
                            capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr


def demo_markdown(result, load: LocustLoad, verify_rc: int, verify_out: str, folder: Path) -> str:
    done = [s for s in load.sagas if s.ok]
    by_outcome: dict[str, int] = {}
    for s in done:
        by_outcome[s.outcome] = by_outcome.get(s.outcome, 0) + 1
    lines = [f"# chaos-demo: {result.verdict}, verify {'OK' if verify_rc == 0 else 'FAILED'}", "",
             f"Runner verdict **{result.verdict}** ({result.experiment.title}); `faultline verify` exited "
             f"{verify_rc}. Locust exited {load.exit_code}.", "",
             "- the runner's report: [summary.md](summary.md), ![timeline](timeline.png)",
             f"- sagas: {len(done)} reached an outcome {by_outcome}, {len(load.sagas) - len(done)} did not in time; "
             f"p50 {percentile([s.ms for s in done], 50) or 0:.0f} ms, p95 "
             f"{percentile([s.ms for s in done], 95) or 0:.0f} ms over the whole run",
             "- ![saga latency](saga.png)", "- Locust: [locust.html](locust.html), locust_stats.csv, "
             "locust_stats_history.csv", "", "## faultline verify", "", "```", verify_out.rstrip(), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make chaos-demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short form (seconds per fault)")
    parser.add_argument("--users", type=int, default=16, help="Locust users (default 16)")
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="think time between a shopper's steps, s (default 0.5 1.5)")
    args = parser.parse_args(argv)
    settings = settings_module.from_env()
    exp = experiments.load(HERE / "chaos-demo.yaml", short=args.short)
    backend = backend_for("local", settings)
    staging = settings.reports / "chaos" / f".locust-{int(time.time())}"
    staging.mkdir(parents=True, exist_ok=True)
    longest = (exp.window_s * 3 + sum(step.duration_s + 60 for step in exp.method) + exp.recovery_timeout_s + 120)
    load = LocustLoad(settings, staging, args.users, tuple(args.think), longest)
    print(f"chaos-demo: {exp.title} ({'short' if exp.short else 'full'} form); {args.users} Locust users", flush=True)
    result = Runner(settings, backend, exp, load=load, say=lambda line: print(line, flush=True)).run()
    folder = report.write(result, settings.reports / "chaos")
    for path in staging.iterdir():
        path.rename(folder / path.name)
    staging.rmdir()
    saga_png(load.sagas, result.timeline.faults, f"{exp.name}: saga latency ({result.verdict})", folder / "saga.png")
    verify_rc, verify_out = verify(dict(os.environ))
    print(verify_out.rstrip())
    (folder / "demo.md").write_text(demo_markdown(result, load, verify_rc, verify_out, folder))
    print(f"\nchaos-demo: runner {result.verdict}, verify {'OK' if verify_rc == 0 else 'FAILED'}; "
          f"report: {folder / 'demo.md'}")
    return 0 if result.verdict == "PASS" and verify_rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

"""timeline.png: requests/s and failures, p95 latency, pending orders and readiness over the run, faults shaded."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .runner import RunResult
from .timeline import Timeline, percentile

FAULT_COLORS = ("#f4a582", "#92c5de", "#d6c8e8", "#b8e186", "#fddbc7", "#c7eae5")


@dataclass(frozen=True)
class Series:
    t: list[float]
    ok_per_s: list[float]
    failed_per_s: list[float]
    p95_ms: list[float | None]


def per_second(timeline: Timeline, width_s: float = 1.0) -> Series:
    """Requests bucketed by start time into `width_s` bins."""
    end = timeline.end
    count = max(int(math.ceil(end / width_s)), 1)
    ok = [0] * count
    failed = [0] * count
    latencies: list[list[float]] = [[] for _ in range(count)]
    for r in timeline.requests:
        i = min(int(r.t // width_s), count - 1)
        (ok if r.ok else failed)[i] += 1
        latencies[i].append(r.latency_ms)
    return Series([i * width_s for i in range(count)], [n / width_s for n in ok], [n / width_s for n in failed],
                  [percentile(values, 95) for values in latencies])


def timeline_png(result: RunResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = result.timeline
    series = per_second(timeline)
    fig, axes = plt.subplots(4, 1, figsize=(11, 9), sharex=True,
                             gridspec_kw={"height_ratios": [3, 2, 2, 1.2]})
    rate, latency, pending, ready = axes
    fig.suptitle(f"{result.experiment.name} ({'short' if result.experiment.short else 'full'}, "
                 f"{result.backend}): {result.verdict}", fontsize=13, fontweight="bold")

    rate.plot(series.t, series.ok_per_s, color="#2166ac", label="successful requests/s", drawstyle="steps-post")
    rate.bar(series.t, series.failed_per_s, width=1.0, align="edge", color="#d6604d", label="failed requests/s")
    rate.set_ylabel("requests/s")

    t_lat = [t for t, v in zip(series.t, series.p95_ms) if v is not None]
    v_lat = [v for v in series.p95_ms if v is not None]
    latency.plot(t_lat, v_lat, color="#762a83", drawstyle="steps-post", label="p95 latency")
    latency.set_ylabel("p95 latency (ms)")
    latency.set_ylim(bottom=0)

    pending.plot([p.t for p in timeline.pending], [p.count for p in timeline.pending], color="#1b7837",
                 drawstyle="steps-post", label="orders this run placed, not yet terminal")
    pending.set_ylabel("pending orders")
    pending.set_ylim(bottom=0)

    ready.plot([r.t for r in timeline.readiness], [sum(r.replicas.values()) for r in timeline.readiness],
               color="#4d4d4d", drawstyle="steps-post", label="replicas ready")
    ready.plot([r.t for r in timeline.readiness], [sum(r.services.values()) for r in timeline.readiness],
               color="#e08214", drawstyle="steps-post", label="services ready (front)")
    ready.set_ylabel("ready")
    ready.set_ylim(bottom=0)
    ready.set_xlabel("seconds since the run started")

    for index, window in enumerate(timeline.faults):
        color = FAULT_COLORS[index % len(FAULT_COLORS)]
        for axis in axes:
            axis.axvspan(window.start, max(window.end, window.start + 0.3), color=color, alpha=0.45, lw=0)
        rate.text(window.start, 0.97, f" {window.label}", rotation=90, va="top", ha="left", fontsize=8,
                  color="#333333", transform=rate.get_xaxis_transform())
    if result.fault_end is not None and result.recovery_s is not None:
        recovered = result.fault_end + result.recovery_s
        for axis in axes:
            axis.axvline(recovered, color="#1a9850", ls="--", lw=1)
        latency.annotate(f"steady state again ({result.recovery_s:.1f} s after the last fault)",
                         xy=(recovered, 0.6), xycoords=("data", "axes fraction"), xytext=(4, 0),
                         textcoords="offset points", fontsize=8, color="#1a9850")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend(loc="upper right", fontsize=8, framealpha=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

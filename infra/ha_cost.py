"""What a running local stack costs, per kind of program: resident memory and CPU over a window.

    python infra/ha_cost.py [--window 60] [--json FILE]

Reads the stack of FAULTLINE_HOME (the same environment as `faultline`): every supervisord program's process tree
(gunicorn's workers, a JVM), RSS summed per group (kafka-1..3 -> kafka, order-1..2 -> order, sentinel-1..3 ->
sentinel) and the CPU seconds it used during the window, as a percentage of one core. Run it once on the default
profile and once on the HA profile, idle, to see what the replication costs (docs/failure-handling.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psutil

from faultline_ops import settings as stack_settings
from faultline_ops import supervisor


def group(name: str) -> str:
    head, _, tail = name.rpartition("-")
    return head if tail.isdigit() else name


def trees(settings) -> dict[str, list[psutil.Process]]:
    found: dict[str, list[psutil.Process]] = {}
    for info in supervisor.processes(settings):
        if not info.pid:
            continue
        try:
            root = psutil.Process(info.pid)
            found.setdefault(group(info.name), []).extend([root, *root.children(recursive=True)])
        except psutil.Error:
            continue
    return found


def _sum(processes: list[psutil.Process], read) -> float:
    total = 0.0
    for process in processes:
        try:
            total += read(process)
        except psutil.Error:
            pass
    return total


def measure(settings, window_s: float) -> dict[str, dict[str, float]]:
    cpu = lambda p: sum(p.cpu_times()[:2])  # noqa: E731 - user + system
    before = {g: _sum(ps, cpu) for g, ps in trees(settings).items()}
    time.sleep(window_s)
    now = trees(settings)
    return {g: {"rss_mib": round(_sum(ps, lambda p: p.memory_info().rss) / 2**20, 1),
                "cpu_pct": round(100 * max(_sum(ps, cpu) - before.get(g, 0.0), 0.0) / window_s, 1)}
            for g, ps in sorted(now.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=60.0, help="seconds of CPU to measure (default 60)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    settings = stack_settings.from_env(os.environ)
    if not supervisor.is_running(settings):
        print(f"no stack under {settings.home}: run `make up` (or `make up UP_ARGS=--ha`)", file=sys.stderr)
        return 2
    figures = measure(settings, args.window)
    total = {"rss_mib": round(sum(f["rss_mib"] for f in figures.values()), 1),
             "cpu_pct": round(sum(f["cpu_pct"] for f in figures.values()), 1)}
    print(f"profile {settings.profile}, {args.window:g} s window")
    print("| program | RSS (MiB) | CPU (% of one core) |\n|---|---|---|")
    for name, f in {**figures, "total": total}.items():
        print(f"| {name} | {f['rss_mib']} | {f['cpu_pct']} |")
    if args.json:
        args.json.write_text(json.dumps({"profile": settings.profile, "window_s": args.window,
                                         "programs": figures, "total": total}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make profile`: where a checkout's CPU goes, per process, with a flame graph of every service instance.

Starts the bench's own stack (state in .run/bench, ports 600 above the defaults), then runs a fixed checkout load
(Locust, `--tags checkout`, no think time, U users for T seconds) while py-spy samples every gunicorn instance
(each of its workers) and psutil reads the CPU seconds of every supervised process (services, Kafka, Redis, HAProxy,
Toxiproxy, the Collector, Zipkin, Mailpit) before and after. First the same reading over an idle window of the same
length (heartbeats, membership, the control room's polling, Kafka's own housekeeping), so the table separates what
a process costs at rest from what checkouts cost: CPU ms per checkout = (CPU s under load - CPU s idle) / checkouts.

Writes reports/profile/<time>/: cpu.md and cpu.json (the table), <instance>.svg (flame graphs, idle frames left
out), locust logs; and the table between the profile markers of docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (infra/bench is not a package: the folder is put on the path above)
from cpu import Program, children, cpu_s, programs, spent  # noqa: E402
import flame_summary  # noqa: E402

from faultline_ops import settings as stack_settings  # noqa: E402
from faultline_ops import supervisor  # noqa: E402

REPO = bench.REPO
BEGIN, END = "<!-- profile:begin -->", "<!-- profile:end -->"
PY_SPY = Path(sys.executable).parent / "py-spy"
CHECKOUT = ("POST", "cart /carts/{id}/checkout")


def say(message: str) -> None:
    print(f"profile: {message}", flush=True)


def start_py_spy(name: str, pid: int, seconds: int, rate: int, out: Path) -> subprocess.Popen:
    """Sample one process for `seconds`, into a flame graph `<name>.svg` of its Python CPU work."""
    command = [str(PY_SPY), "record", "--pid", str(pid), "--duration", str(seconds),
               "--rate", str(rate), "--format", "flamegraph", "--output", str(out / f"{name}.svg"),
               "--nonblocking", "--full-filenames",   # full paths: flame_summary tells the libraries apart
               "--gil"]   # only samples holding the GIL: Python's CPU work, not threads blocked in a call or on the GIL
    log = open(out / f"{name}.py-spy.log", "w")  # noqa: SIM115 - closed with the process in finish_py_spy
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def sampled_processes(program: Program) -> dict[str, int]:
    """What to sample of a service instance: its gunicorn workers, each by its own pid, named after the instance.

    Each worker gets a py-spy of its own, not the master with `--subprocesses`: py-spy 0.4.1 crashed (SIGSEGV) on
    that path in a run here (py-spy issues 638 and 724, open), losing that instance's graph. The master only
    supervises its workers; the requests and the background tasks run in the workers.
    """
    workers = [child.pid for child in children(program.pid)]
    if len(workers) <= 1:
        return {program.name: workers[0] if workers else program.pid}
    return {f"{program.name}.{n}": pid for n, pid in enumerate(workers, start=1)}


def finish_py_spy(process: subprocess.Popen, deadline_s: float) -> int:
    try:
        return process.wait(timeout=deadline_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def measure(args: argparse.Namespace, out: Path) -> dict:
    env = bench.bench_env()
    settings = stack_settings.from_env(env)
    if not supervisor.is_running(settings):
        busy = bench.ports_in_use(settings)
        if busy:
            raise SystemExit(f"profile: ports in use, another stack is on them: {busy}")
        bench.faultline(env, "clean")
        bench.timed_make_up(env)
    say(f"own stack in {settings.home}; {args.users} shoppers for {args.seconds} s; report in "
        f"{out.relative_to(REPO)}")
    locust_args = ["-f", "loadtests/locustfile.py", "--tags", "checkout", "--think-min", "0", "--think-max", "0",
                   "--host", settings.service_url("cart"), "--inventory-host", settings.service_url("inventory"),
                   "--order-host", settings.service_url("order"), "--restock", "100000"]
    # A fresh stack is not idle: JVMs warm up and consumers join their groups. A short load first settles it.
    say(f"warm-up: {args.users} shoppers for {args.warmup} s")
    bench.run_locust(out, "warmup", locust_args, args.users, args.warmup, env)
    running = programs(settings)
    say(f"idle for {args.seconds} s (what the system costs at rest)")
    idle_from = cpu_s(running)
    time.sleep(args.seconds)  # a measurement window, not a wait for a condition
    before = cpu_s(running)
    idle = spent(idle_from, before)
    spies = {name: start_py_spy(name, pid, args.seconds, args.rate, out)
             for p in running if p.is_service for name, pid in sampled_processes(p).items()}
    started = time.perf_counter()
    rows = bench.run_locust(out, "checkout", locust_args, args.users, args.seconds, env)
    elapsed = time.perf_counter() - started
    after = cpu_s(running)
    spy_exit = {name: finish_py_spy(spy, args.seconds + 60) for name, spy in spies.items()}
    checkouts = int(rows[CHECKOUT]["Request Count"]) - int(rows[CHECKOUT]["Failure Count"])
    cpu = spent(before, after)
    return {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": bench.machine(),
            "load_before": os.getloadavg(), "users": args.users, "seconds": args.seconds, "elapsed_s": elapsed,
            "checkouts": checkouts, "cpu_s": cpu, "idle_cpu_s": idle, "groups": {p.name: p.group for p in running},
            "flame_graphs": {name: f"{name}.svg" for name, code in spy_exit.items()
                             if code == 0 and (out / f"{name}.svg").exists()},
            "py_spy_exit": spy_exit}


def table(result: dict, out: Path) -> str:
    """Process x CPU seconds (under load, idle) and CPU ms per checkout above idle, largest first; services summed
    over their replicas."""
    checkouts = max(result["checkouts"], 1)
    load: dict[str, float] = {}
    idle: dict[str, float] = {}
    for name, seconds in result["cpu_s"].items():
        group = result["groups"][name]
        load[group] = load.get(group, 0.0) + seconds
        idle[group] = idle.get(group, 0.0) + result["idle_cpu_s"].get(name, 0.0)
    marginal = {group: max(load[group] - idle[group], 0.0) for group in load}
    total = sum(marginal.values())
    lines = [f"Measured {result['started']} on {result['machine']['cpu']} ({result['machine']['cores']} cores), "
             f"load average {result['load_before'][0]:.1f} before: {result['users']} shoppers, no think time, "
             f"{result['seconds']} s, **{result['checkouts']} checkouts** "
             f"({result['checkouts'] / result['elapsed_s']:.1f}/s). Flame graphs: `{out.relative_to(REPO)}/`.", "",
             f"| process (all replicas) | CPU s under load | CPU s idle ({result['seconds']} s) | "
             "CPU ms per checkout (above idle) | share |", "| --- | ---: | ---: | ---: | ---: |"]
    for group in sorted(marginal, key=lambda g: -marginal[g]):
        lines.append(f"| {group} | {load[group]:.2f} | {idle[group]:.2f} | {1000 * marginal[group] / checkouts:.1f} | "
                     f"{100 * marginal[group] / total if total else 0:.0f} % |")
    lines.append(f"| **all processes** | **{sum(load.values()):.2f}** | **{sum(idle.values()):.2f}** | "
                 f"**{1000 * total / checkouts:.1f}** | 100 % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=4, help="Locust shoppers (default 4)")
    parser.add_argument("--seconds", type=int, default=30, help="seconds of load and of sampling (default 30)")
    parser.add_argument("--warmup", type=int, default=15, help="seconds of load before the idle window (default 15)")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second (default 100)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running afterwards")
    args = parser.parse_args(argv)
    if not PY_SPY.exists():
        raise SystemExit(f"profile: {PY_SPY} is missing; run `make bootstrap`")
    out = REPO / "reports" / "profile" / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    env = bench.bench_env()
    try:
        result = measure(args, out)
    finally:
        if not args.keep:
            bench.faultline(env, "down")
    (out / "cpu.json").write_text(json.dumps(result, indent=2))
    markdown = table(result, out)
    per_process = flame_summary.summarise(out)
    if per_process:
        markdown += ("\n\nThe same run's flame graphs by library (`infra/bench/flame_summary.py`: each sample charged to "
                     "the library it ended in, standard-library calls to the library that made them, waiting left "
                     "out):\n\n" + flame_summary.markdown(per_process))
    (out / "cpu.md").write_text(markdown + "\n")
    print(markdown)
    if not args.no_doc:
        bench.write_section(markdown, BEGIN, END, heading="## Where a checkout's CPU goes (`make profile`)")
    missing = sorted(set(result["py_spy_exit"]) - set(result["flame_graphs"]))
    if missing:
        say(f"no flame graph for {missing}: see their .py-spy.log in {out}")
    return 1 if missing or result["checkouts"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())

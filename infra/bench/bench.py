"""`make bench`: Faultline's figures beside a bare baseline, measured in one run on one machine.

Starts its own stack (state in .run/bench, ports 600 above the defaults, so it meets no other stack), then, for
each of `--repeats` rounds, measures each pair back to back:

- checkout throughput and latency (Locust, `--tags checkout`, no think time, U users) vs a bare gunicorn + Flask
  `GET /livez` with the kit's gunicorn settings, under the same U users; the HTTP requests the shoppers sent per
  checkout, and the throughput again with the followers polling at an order page's pace (1 s) instead of 50 ms;
- one REST hop: the kit's ServiceClient (also with tracing) vs bare requests, taking turns every 50 calls;
- Kafka produce through the kit's EventPublisher vs a bare KafkaProducer (same acks), one by one and batched,
  taking turns every 50 messages (one at a time) or batch;
- Kafka consume through the kit's ConsumerLoop vs a bare kafka-python poll loop on the same topic;
- the Kafka client itself: bare kafka-python vs bare confluent-kafka (librdkafka), producing and consuming in the
  same turns with the same settings, msgs/s and CPU µs per message;
- CPU: every stack process's CPU seconds (psutil) during the checkout load, less what the stack burns idle over
  the same time (read, once settled, just before that load), per checkout, vs the bare server's CPU seconds per
  `GET /livez`;
- the saga at one shopper (checkout accepted -> CONFIRMED, watched every 5 ms) and the checkout's answer time;
- tracing on vs off: after the rounds the services restart with OTEL_TRACES_EXPORTER=none and the saga at one
  shopper and the CPU per checkout are measured again;
- RSS of every instance, Kafka and Redis after the checkout load; and `make up` cold, warm and already up.

Writes the table between the markers of docs/benchmarks.md, the raw numbers to reports/bench/<time>/, and one
figure per row (the medians) to reports/bench/latest.json, to compare revisions.
Timings are noisy on a shared machine: read the ratios (each from one round) and their spread, not single values.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import kafka
import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import confluent_side  # noqa: E402
import micro  # noqa: E402  (infra/bench is not a package: the folder is put on the path above)
import saga_watch  # noqa: E402
from bench_table import Figures, spread  # noqa: E402
from cpu import cpu_s, programs, spent, tree_cpu_s  # noqa: E402

from faultline_ops import settings as stack_settings  # noqa: E402
from faultline_ops import supervisor  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DOC = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
OFFSET = 600
BARE_PORT = 8099 + OFFSET


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTLINE_")}
    env.update({name: str(default + OFFSET) for name, (_, default) in stack_settings.port_defaults().items()})
    env["FAULTLINE_HOME"] = str(REPO / ".run" / "bench")
    env["FAULTLINE_ADMIN_TOKEN"] = "local-admin-token"
    return env


def ports_in_use(settings: stack_settings.Settings) -> list[int]:
    """Every port the bench stack would open that answers now."""
    wanted = [getattr(settings, field) for field, _ in stack_settings.port_defaults().values()]
    wanted += [BARE_PORT]
    for service in stack_settings.SERVICES:
        wanted += [settings.replica_port(service, i) for i in range(1, settings.replicas + 1)]
    busy = []
    for port in sorted(set(wanted)):
        with socket.socket() as probe:
            if probe.connect_ex((settings.host, port)) == 0:
                busy.append(port)
    return busy


def faultline(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BIN / "faultline"), *args], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def timed_make_up(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(["make", "-s", "up"], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


# --- Locust --------------------------------------------------------------------------------------------------------
def locust_rows(prefix: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(stats)}


def run_locust(out: Path, name: str, args: list[str], users: int, seconds: int, env: dict[str, str]) -> dict:
    prefix = out / name
    command = [str(BIN / "locust"), "--headless", "--only-summary", "--users", str(users), "--spawn-rate",
               str(users), "--run-time", f"{seconds}s", "--stop-timeout", "10", "--csv", str(prefix), *args]
    with open(f"{prefix}.log", "w") as log:
        result = subprocess.run(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    rows = locust_rows(prefix)
    failures = int(rows[("", "Aggregated")]["Failure Count"])
    if result.returncode != 0 or failures:
        raise RuntimeError(f"locust {name} exited {result.returncode} with {failures} failures; see {prefix}.log")
    return rows


def figures(row: dict[str, str], seconds: float) -> dict[str, float]:
    return {"per_s": float(row["Requests/s"]), "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
            "count": float(int(row["Request Count"]) - int(row["Failure Count"]))}


PAGE_FOLLOW_POLL_S = 1.0   # how often a shopper's order page would look: the followers' pace in the paced run


def checkout_load(out: Path, settings, users: int, seconds: int, env: dict[str, str],
                  follow_poll_s: float | None = None) -> dict:
    """Checkout throughput; `follow_poll_s` paces the followers' first second (default: the saga's 50 ms)."""
    pace = [] if follow_poll_s is None else ["--follow-poll", str(follow_poll_s)]
    rows = run_locust(out, "checkout" if follow_poll_s is None else "checkout-paced", [
        "-f", "loadtests/locustfile.py", "--tags", "checkout", "--think-min", "0", "--think-max", "0",
        "--host", settings.service_url("cart"), "--inventory-host", settings.service_url("inventory"),
        "--order-host", settings.service_url("order"), "--restock", "100000", *pace], users, seconds, env)
    checkout = figures(rows[("POST", "cart /carts/{id}/checkout")], seconds)
    sagas = [row for (kind, _), row in rows.items() if kind == "SAGA"]
    saga = max(sagas, key=lambda row: int(row["Request Count"]))
    return {"checkout": checkout, "saga": figures(saga, seconds), "requests": requests_per_checkout(rows)}


def requests_per_checkout(rows: dict[tuple[str, str], dict[str, str]]) -> dict[str, float]:
    """What the shoppers sent the stack per checkout: every HTTP request, and of those the polls that follow an
    order to its end (every 50 ms in its first second: the saga's resolution, and part of what a checkout costs
    here, which a shopper's page polling once a second would not)."""
    checkouts = max(int(rows[("POST", "cart /carts/{id}/checkout")]["Request Count"]), 1)
    http = sum(int(row["Request Count"]) for (kind, name), row in rows.items() if kind not in ("", "SAGA"))
    follows = sum(int(row["Request Count"]) for (kind, name), row in rows.items() if name.endswith("(follow)"))
    return {"http": http / checkouts, "follow": follows / checkouts}


def livez_load(out: Path, users: int, seconds: int, env: dict[str, str]) -> dict:
    rows = run_locust(out, "livez", ["-f", "infra/bench/livez_locustfile.py", "--host",
                                     f"http://127.0.0.1:{BARE_PORT}"], users, seconds, env)
    return figures(rows[("GET", "GET /livez")], seconds)


# --- processes -----------------------------------------------------------------------------------------------------
def start_bare_server(env: dict[str, str], out: Path) -> subprocess.Popen:
    server_env = dict(env, FAULTLINE_BIND=f"127.0.0.1:{BARE_PORT}", FAULTLINE_LOG_LEVEL="warning",
                      FAULTLINE_SERVICE="bench-bare")
    log = open(out / "bare-gunicorn.log", "w")
    process = subprocess.Popen([str(BIN / "gunicorn"), "-c", "python:faultline_kit.gunicorn_conf", "--chdir",
                                str(REPO / "infra" / "bench"), "bare_app:create_app()"], env=server_env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{BARE_PORT}/livez", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    stop_process(process)
    raise RuntimeError(f"the bare gunicorn did not answer on :{BARE_PORT}; see {out / 'bare-gunicorn.log'}")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def tree_rss_mib(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20
    except psutil.Error:
        return 0.0


def rss(settings) -> dict[str, list[float]]:
    """MiB per program (process tree: gunicorn master + worker), grouped by service or infra program."""
    grouped: dict[str, list[float]] = {}
    for info in supervisor.processes(settings):
        if info.pid:
            grouped.setdefault(info.name.rpartition("-")[0] if info.name[-1].isdigit() else info.name,
                               []).append(tree_rss_mib(info.pid))
    return grouped


def services_traced(settings, exporter_on: bool = False) -> bool:
    """Whether the stack's service instances run with an OTLP endpoint (read from a worker's environment); with
    `exporter_on`, also that OTEL_TRACES_EXPORTER does not turn tracing off."""
    for info in supervisor.processes(settings):
        if info.pid and info.name.startswith("order-"):
            try:
                environ = psutil.Process(info.pid).environ()
            except psutil.Error:
                return False
            endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            return bool(endpoint) and not (exporter_on and environ.get("OTEL_TRACES_EXPORTER") == "none")
    return False


def otlp_endpoint(settings) -> str | None:
    port = getattr(settings, "otlp_port", None)
    if port is None:
        return None
    with socket.socket() as probe:
        return f"http://{settings.host}:{port}" if probe.connect_ex((settings.host, port)) == 0 else None


# --- the machine -----------------------------------------------------------------------------------------------------
def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = match.group(1) if match else cpu
    except OSError:
        pass
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True).stdout.strip()
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory_gib": f"{psutil.virtual_memory().total / 2**30:.0f}",
            "kernel": platform.release(), "python": platform.python_version(), "revision": revision,
            "kafka_python": kafka.__version__, **confluent_side.versions()}


# --- CPU and the saga ---------------------------------------------------------------------------------------------
IDLE_WINDOW_S = 5.0
IDLE_AGREEMENT = 0.2   # two windows in a row within 20 % of each other: the stack has settled


def idle_cpu_per_s(settings, seconds: float) -> float:
    """CPU seconds per second the whole stack spends with nobody shopping (heartbeats, polls, Kafka's own work),
    once it has settled: right after `make up` it burns up to half as much again for its first seconds (Kafka above
    all), which read as idle would be taken off every checkout. Reads 5 s windows until two in a row agree within
    20 % (or four times `seconds`, at least 40 s, have passed), then answers the mean of the last windows covering
    `seconds`."""
    running = programs(settings)
    windows: list[float] = []
    deadline = time.monotonic() + 4 * max(seconds, 2 * IDLE_WINDOW_S)
    while True:
        before, began = cpu_s(running), time.perf_counter()
        time.sleep(IDLE_WINDOW_S)  # a measurement window, not a wait for a condition
        windows.append(sum(spent(before, cpu_s(running)).values()) / (time.perf_counter() - began))
        settled = len(windows) >= 2 and abs(windows[-1] - windows[-2]) <= IDLE_AGREEMENT * max(windows[-2:])
        if settled or time.monotonic() > deadline:
            break
    last = windows[-max(2, round(seconds / IDLE_WINDOW_S)):]
    return sum(last) / len(last)


def checkout_load_with_cpu(out: Path, settings, users: int, seconds: int, env: dict[str, str],
                           idle_seconds: float) -> tuple[dict, dict[str, float]]:
    """The checkout load, and the CPU ms every stack process spent on it per checkout above the idle rate, read
    just before it (the rate at rest drifts over a run: read once for all rounds, it was off by half a core)."""
    idle_per_s = idle_cpu_per_s(settings, idle_seconds)
    running = programs(settings)
    before, began = cpu_s(running), time.perf_counter()
    load = checkout_load(out, settings, users, seconds, env)
    elapsed = time.perf_counter() - began
    used = sum(spent(before, cpu_s(running)).values()) - idle_per_s * elapsed
    return load, {"checkout_ms": 1000 * max(used, 0.0) / max(load["checkout"]["count"], 1.0),
                  "idle_per_s": idle_per_s}


def saga_one(settings, n: int) -> dict[str, float]:
    return saga_watch.saga_at_one_shopper(settings.service_url("cart"), settings.service_url("order"), n=n)


def one_round(args: argparse.Namespace, out: Path, settings, env: dict[str, str],
              baselines: tuple[subprocess.Popen, "micro.Tracing", str], round_: int) -> dict:
    """Every pair once: the stack's figure and its bare baseline back to back."""
    bare, tracing, topic = baselines
    r: dict = {}
    r["load"], cpu = checkout_load_with_cpu(out, settings, args.users, args.seconds, env, args.idle_seconds)
    r["rss"] = rss(settings)
    r["paced"] = checkout_load(out, settings, args.users, args.seconds, env, PAGE_FOLLOW_POLL_S)
    bare_before = tree_cpu_s(bare.pid)
    r["livez"] = livez_load(out, args.users, args.seconds, env)
    livez_ms = 1000 * (tree_cpu_s(bare.pid) - bare_before) / max(r["livez"]["count"], 1.0)
    r["cpu"] = cpu | {"livez_ms": livez_ms}
    r["saga_one"] = saga_one(settings, args.sagas)
    r["rest"] = micro.rest_hop(f"http://127.0.0.1:{BARE_PORT}", tracing, n=args.calls)
    r["produce"] = micro.produce(settings.kafka_bootstrap, topic, n=args.messages)
    r["consume"] = micro.consume(settings.kafka_bootstrap, topic, args.events, round_)
    return r


def untraced_rounds(args: argparse.Namespace, out: Path, env: dict[str, str], settings) -> list[dict]:
    """The services restarted with tracing off (OTEL_TRACES_EXPORTER=none: the no-op tracer), then the saga at one
    shopper and the CPU per checkout again, `repeats` times."""
    faultline(env, "down")
    untraced_env = dict(env, OTEL_TRACES_EXPORTER="none")
    timed_make_up(untraced_env)
    if services_traced(settings, exporter_on=True):
        raise RuntimeError("the services still trace after a restart with OTEL_TRACES_EXPORTER=none")
    rounds = []
    for round_ in range(1, args.repeats + 1):
        load, cpu = checkout_load_with_cpu(out, settings, args.users, args.seconds, untraced_env, args.idle_seconds)
        rounds.append({"load": load, "cpu": cpu, "saga_one": saga_one(settings, args.sagas)})
        say(f"untraced round {round_}: at rest {cpu['idle_per_s'] * 1000:.0f} CPU ms/s; CPU "
            f"{cpu['checkout_ms']:.0f} ms/checkout; saga at 1 shopper p50 "
            f"{rounds[-1]['saga_one']['p50_ms']:.0f} ms")
    return rounds


# --- the run ---------------------------------------------------------------------------------------------------------
def measure(args: argparse.Namespace, out: Path) -> dict:
    env = bench_env()
    settings = stack_settings.from_env(env)
    busy = ports_in_use(settings)
    if busy:
        raise SystemExit(f"bench: ports in use, another stack is on them: {busy}")
    results: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                     "load_before": os.getloadavg(), "users": args.users, "seconds": args.seconds,
                     "repeats": args.repeats, "up": [], "rounds": []}
    say(f"own stack in {settings.home} (order :{settings.order_port}, Kafka :{settings.kafka_port}); "
        f"{args.repeats} rounds; raw results in {out.relative_to(REPO)}")
    for i in range(args.up_repeats):
        faultline(env, "clean")
        cold = timed_make_up(env)
        faultline(env, "down")
        warm = timed_make_up(env)
        again = timed_make_up(env)
        results["up"].append({"cold_s": cold, "warm_s": warm, "again_s": again})
        say(f"make up: cold {cold:.1f} s, warm {warm:.1f} s, already up {again:.1f} s")
    if not results["up"]:
        faultline(env, "clean")
        timed_make_up(env)
    results["services_traced"] = services_traced(settings)
    tracing = micro.Tracing(otlp_endpoint(settings))
    results["tracing_exporter"] = tracing.exporter
    bare = start_bare_server(env, out)
    try:
        topic = micro.new_topic(settings.kafka_bootstrap)
        micro.fill(settings.kafka_bootstrap, topic, args.events)
        for round_ in range(1, args.repeats + 1):
            r = one_round(args, out, settings, env, (bare, tracing, topic), round_)
            results["rounds"].append(r)
            say(f"round {round_}: {r['load']['checkout']['per_s']:.1f} checkouts/s vs "
                f"{r['livez']['per_s']:.0f} livez/s; at rest {r['cpu']['idle_per_s'] * 1000:.0f} CPU ms/s; CPU "
                f"{r['cpu']['checkout_ms']:.0f} ms/checkout vs "
                f"{r['cpu']['livez_ms']:.2f} ms/livez; saga at 1 shopper p50 {r['saga_one']['p50_ms']:.0f} ms; "
                f"REST hop {r['rest']['kit']['p50_us']:.0f} vs {r['rest']['bare']['p50_us']:.0f} µs; consume "
                f"{r['consume']['kit']['per_s']:.0f} vs {r['consume']['bare']['per_s']:.0f} events/s")
        results["untraced"] = untraced_rounds(args, out, env, settings)
    finally:
        stop_process(bare)
        faultline(env, "clean")
    results["load_after"] = os.getloadavg()
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return results


# --- the table -------------------------------------------------------------------------------------------------------
def header(results: dict) -> str:
    m = results["machine"]
    return (f"Measured {results['started'][:10]} (UTC) at revision `{m['revision']}` by `make bench`: {m['cpu']}, "
            f"{m['cores']} cores, {m['memory_gib']} GiB, Linux {m['kernel']}, Python {m['python']}, "
            f"kafka-python {m['kafka_python']}, confluent-kafka {m['confluent_kafka']} (librdkafka "
            f"{m['librdkafka']}); load average "
            f"{results['load_before'][0]:.1f} before and {results['load_after'][0]:.1f} after. "
            f"{len(results['rounds'])} rounds; each cell is the median with the range over the rounds in brackets, "
            f"and each ratio is taken within a round. Services traced: "
            f"{'yes' if results['services_traced'] else 'no'}; in-process tracing exported "
            f"{results['tracing_exporter']}. The stack at rest burns {at_rest(results['rounds'])} CPU ms "
            f"per second{at_rest(results.get('untraced') or [], ' with tracing on, {} with it off')}, read before "
            f"each round's checkout load (the range over the rounds); CPU per checkout is what all its processes "
            f"spent above that, per checkout.")


def at_rest(rounds: list[dict], template: str = "{}") -> str:
    idle = [1000 * r["cpu"]["idle_per_s"] for r in rounds]
    return template.format(spread(idle)) if idle else ""


def throughput_rows(t: Figures, results: dict, pick) -> None:
    t.row("checkouts_per_s_vs_livez", f"throughput at {results['users']} users, no think time: checkouts/s vs "
          "bare `GET /livez` req/s", pick("load", "checkout", "per_s"), pick("livez", "per_s"), 1, 3)
    for q in ("p50", "p95", "p99"):
        t.row(f"checkout_{q}_ms_vs_livez", f"checkout {q} vs `GET /livez` {q}, ms",
              pick("load", "checkout", f"{q}_ms"), pick("livez", f"{q}_ms"), 0, 1)
    for q in ("p50", "p95", "p99"):
        t.row(f"saga_{q}_ms_at_{results['users']}_users", f"saga at {results['users']} users (checkout accepted → "
              f"terminal, as Locust's shopper sees it) {q}, ms", pick("load", "saga", f"{q}_ms"))
    t.row("cpu_ms_per_checkout_vs_livez", "CPU ms per checkout (every stack process, above idle) vs CPU ms per "
          "bare `GET /livez` (its server)", pick("cpu", "checkout_ms"), pick("cpu", "livez_ms"), 2, 0)
    t.row("idle_cpu_ms_per_s", "the stack at rest, read before each checkout load: CPU ms/s (taken off the row above)",
          [1000 * v for v in pick("cpu", "idle_per_s")])
    t.row("http_requests_per_checkout", "HTTP requests the shoppers sent per checkout (the next row's follow "
          "polls included)", pick("load", "requests", "http"), digits=1)
    t.row("follow_polls_per_checkout", "of which polls following the order to its end (every 50 ms in its first "
          "second)", pick("load", "requests", "follow"), digits=1)
    t.row("checkouts_per_s_paced_followers_vs_livez", f"throughput as above with the followers polling every "
          f"{PAGE_FOLLOW_POLL_S:g} s (an order page's pace, not the saga's resolution): checkouts/s vs bare "
          "`GET /livez` req/s", pick("paced", "checkout", "per_s"), pick("livez", "per_s"), 1, 3)


def one_shopper_rows(t: Figures, results: dict, pick) -> None:
    untraced = results.get("untraced") or []
    off = lambda *path: [_dig(r, path) for r in untraced]  # noqa: E731
    for q in ("p50", "p95", "p99"):
        t.row(f"saga_{q}_ms_one_shopper", f"saga at 1 shopper (checkout accepted → CONFIRMED, watched every 5 ms) "
              f"{q}, ms", pick("saga_one", f"{q}_ms"))
    if untraced:
        t.row("saga_p50_ms_one_shopper_traced_vs_untraced", "saga at 1 shopper p50, tracing on vs off "
              "(OTEL_TRACES_EXPORTER=none), ms", pick("saga_one", "p50_ms"), off("saga_one", "p50_ms"))
        t.row("checkout_p50_ms_one_shopper_traced_vs_untraced", "checkout answer at 1 shopper p50, tracing on vs "
              "off, ms", pick("saga_one", "checkout_p50_ms"), off("saga_one", "checkout_p50_ms"), 1)
        t.row("cpu_ms_per_checkout_traced_vs_untraced", "CPU ms per checkout, tracing on vs off",
              pick("cpu", "checkout_ms"), off("cpu", "checkout_ms"), 1)


def micro_rows(t: Figures, pick) -> None:
    for variant, label in (("kit", "ServiceClient"), ("kit_traced", "ServiceClient + tracing")):
        t.row(f"rest_{variant}_per_s", f"one REST hop, {label} vs bare `requests`: calls/s (one thread)",
              pick("rest", variant, "per_s"), pick("rest", "bare", "per_s"))
        for q in ("p50", "p99"):
            t.row(f"rest_{variant}_{q}_us", f"one REST hop, {label} vs bare `requests`: {q}, µs",
                  pick("rest", variant, f"{q}_us"), pick("rest", "bare", f"{q}_us"))
    for mode, label in (("sync_per_s", "one at a time (each ack awaited)"), ("batch_per_s", "batches of 100")):
        t.row(f"produce_{mode}", f"Kafka produce, EventPublisher vs bare KafkaProducer (acks=all), {label}: msgs/s",
              pick("produce", "kit", mode), pick("produce", "bare", mode))
    t.row("consume_per_s", "Kafka consume, ConsumerLoop vs bare poll loop (commit per batch), steady events/s",
          pick("consume", "kit", "per_s"), pick("consume", "bare", "per_s"))
    t.row("consume_cpu_us", "Kafka consume, ConsumerLoop vs bare poll loop: CPU µs per event",
          pick("consume", "kit", "cpu_us"), pick("consume", "bare", "cpu_us"))


def client_rows(t: Figures, pick) -> None:
    """kafka-python (what the services use), bare, against confluent-kafka, bare, in the same turns."""
    for mode, label in (("sync", "one at a time"), ("batch", "batches of 100")):
        t.row(f"produce_{mode}_per_s_kafka_python_vs_confluent", f"Kafka produce {label}, bare kafka-python vs bare "
              "confluent-kafka (same settings): msgs/s", pick("produce", "bare", f"{mode}_per_s"),
              pick("produce", "confluent", f"{mode}_per_s"))
        t.row(f"produce_{mode}_cpu_us_kafka_python_vs_confluent", f"Kafka produce {label}, bare kafka-python vs "
              "bare confluent-kafka: CPU µs per message", pick("produce", "bare", f"{mode}_cpu_us"),
              pick("produce", "confluent", f"{mode}_cpu_us"))
    t.row("consume_per_s_kafka_python_vs_confluent", "Kafka consume, bare kafka-python vs bare confluent-kafka poll "
          "loop (commit per batch): steady events/s", pick("consume", "bare", "per_s"),
          pick("consume", "confluent", "per_s"))
    t.row("consume_cpu_us_kafka_python_vs_confluent", "Kafka consume, bare kafka-python vs bare confluent-kafka: "
          "CPU µs per event", pick("consume", "bare", "cpu_us"), pick("consume", "confluent", "cpu_us"))


def memory_and_up_rows(t: Figures, results: dict) -> None:
    rounds = results["rounds"]
    t.text()
    t.text("| memory (RSS after the checkout load; a service instance is gunicorn master + worker) | MiB | | |")
    t.text("|---|---|---|---|")
    names = sorted({name for r in rounds for name in r["rss"]}, key=lambda n: (n not in SERVICE_ORDER, n))
    for name in names:
        count = len(rounds[-1]["rss"].get(name, []))
        what = f"{name}, per instance ({count} instances)" if name in SERVICE_ORDER else name
        t.row(f"rss_mib_{name}", what, [v for r in rounds for v in r["rss"].get(name, [])])
    up = results["up"]
    if up:
        t.text()
        t.text("| `make up` (own state dir; installs cached) | seconds | | |")
        t.text("|---|---|---|---|")
        for key, label in (("cold_s", "cold (after `faultline clean`: no data)"),
                           ("warm_s", "warm (after `faultline down`: data kept)"),
                           ("again_s", "again while up (nothing to do)")):
            t.row(f"make_up_{key}", label, [u[key] for u in up], digits=1)


def table(results: dict) -> Figures:
    rounds = results["rounds"]
    pick = lambda *path: [_dig(r, path) for r in rounds]  # noqa: E731
    t = Figures()
    t.text(header(results))
    t.text()
    t.text("| figure | Faultline | bare baseline | ratio (Faultline / bare) |")
    t.text("|---|---|---|---|")
    throughput_rows(t, results, pick)
    one_shopper_rows(t, results, pick)
    micro_rows(t, pick)
    client_rows(t, pick)
    memory_and_up_rows(t, results)
    return t


SERVICE_ORDER = stack_settings.SERVICES


def _dig(tree: dict, path: tuple) -> float:
    for key in path:
        tree = tree[key]
    return float(tree)


def write_section(markdown: str, begin: str = BEGIN, end: str = END, heading: str = "") -> None:
    """Replace what stands between `begin` and `end` in docs/benchmarks.md (appended, under `heading`, if absent)."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if begin not in text or end not in text:
        text = text.rstrip() + (f"\n\n{heading}" if heading else "") + f"\n\n{begin}\n{end}\n"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{begin}\n{markdown}\n{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every measurement (default 3)")
    parser.add_argument("--up-repeats", type=int, default=2, help="`make up` cold/warm timings (default 2)")
    parser.add_argument("--users", type=int, default=10, help="Locust users for throughput (default 10)")
    parser.add_argument("--seconds", type=int, default=15, help="seconds per Locust run (default 15)")
    parser.add_argument("--calls", type=int, default=1000, help="REST hops per variant and round")
    parser.add_argument("--messages", type=int, default=1000, help="Kafka messages produced per mode and round")
    parser.add_argument("--events", type=int, default=5000, help="Kafka records consumed per consumer and round")
    parser.add_argument("--sagas", type=int, default=100, help="sagas watched at one shopper per round (default 100)")
    parser.add_argument("--idle-seconds", type=int, default=10,
                        help="seconds the stack's idle CPU is read over once it has settled, before each "
                             "checkout load (default 10)")
    parser.add_argument("--no-doc", action="store_true", help="print the table, leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    out = REPO / "reports" / "bench" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    results = measure(args, out)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    figures = table(results)
    markdown = "\n".join(figures.lines)
    (out / "table.md").write_text(markdown + "\n")
    latest = {"measured": results["started"], "revision": results["machine"]["revision"],
              "load_before": results["load_before"][0], "figures": figures.figures}
    (out.parent / "latest.json").write_text(json.dumps(latest, indent=2) + "\n")
    print(markdown)
    say(f"figures written to {(out.parent / 'latest.json').relative_to(REPO)}")
    if not args.no_doc:
        write_section(markdown)
        say(f"table written to {DOC.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The local stack's life cycle: up, down, clean, status. The only module here that changes things."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from faultline_ops import observe, probes, supervisor
from faultline_ops.errors import StackError
from faultline_ops.render import haproxy, kafka, otel_collector, redis, toxiproxy
from faultline_ops.render import supervisor as supervisor_render
from faultline_ops.render.program import Program
from faultline_ops.settings import PROFILE_FILE, SERVICES, Settings, recorded_profile

# How long `up` waits for each part before it gives up and shows its log. Seconds on an idle machine; a machine
# shared with other stacks (load average 60 on 2 cores, seen) needs minutes, and waiting costs nothing when it works.
KAFKA_DEADLINE_S = 180.0
REDIS_DEADLINE_S = 30.0
MAILPIT_DEADLINE_S = 30.0
ZIPKIN_DEADLINE_S = 180.0    # a JVM: 5 s on an idle machine
SERVICES_DEADLINE_S = 180.0
CONSOLE_DEADLINE_S = 120.0
LOG_TAIL_LINES = 30
SHUTDOWN_DEADLINE_S = 60.0
SHUTDOWN_HA_DEADLINE_S = 180.0


def say(message: str) -> None:
    print(message, flush=True)


# --- files ----------------------------------------------------------------------------------------
def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def render_all(settings: Settings, infra_only: bool) -> None:
    directories = [settings.logs, settings.redis_dir, settings.mailpit_dir, settings.haproxy_dir,
                   settings.toxiproxy_dir, settings.zipkin_dir, settings.otel_collector_dir]
    directories += [kafka.node_data(settings, n) for n in settings.kafka_nodes]
    directories += [settings.redis_node_dir(n) for n in settings.redis_nodes]
    directories += [settings.sentinel_dir(i) for i in settings.sentinels]
    for directory in directories:
        directory.mkdir(parents=True, exist_ok=True)
    rendered = {**kafka.files(settings), **redis.files(settings), **haproxy.files(settings),
                **toxiproxy.files(settings), **otel_collector.files(settings),
                settings.supervisor_conf: supervisor_render.supervisord_conf(settings, infra_only)}
    for path, text in rendered.items():
        _write_if_changed(path, text)
    for path, text in redis.state_files(settings).items():   # Sentinel's from the first start on
        if not path.exists():
            path.write_text(text)


def claim_profile(settings: Settings) -> None:
    """Record the profile in the state dir; refuse to start one profile on the other's data."""
    recorded = recorded_profile(settings.home)
    has_data = (settings.kafka_data / "meta.properties").exists() or any(
        (kafka.node_data(settings, n) / "meta.properties").exists() for n in settings.kafka_nodes)
    if recorded is None and has_data:
        recorded = "default"    # state dirs from before profiles existed
    if recorded is not None and recorded != settings.profile:
        raise StackError(f"{settings.home} holds a {recorded} stack; `faultline up` would start {settings.profile}: "
                         f"run `make clean` first (or use another FAULTLINE_HOME)")
    settings.home.mkdir(parents=True, exist_ok=True)
    _write_if_changed(settings.home / PROFILE_FILE, settings.profile + "\n")


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (as `kafka-storage random-uuid`)."""
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not value.startswith("-"):
            return value


def cluster_id(settings: Settings) -> str:
    """The cluster id generated on the first `up` and kept in the state dir."""
    path = settings.kafka_dir / "cluster-id"
    if not path.exists():
        path.write_text(new_cluster_id() + "\n")
    return path.read_text().strip()


def format_kafka_storage(settings: Settings) -> None:
    unformatted = [n for n in settings.kafka_nodes if not (kafka.node_data(settings, n) / "meta.properties").exists()]
    if not unformatted:
        return
    if not settings.kafka_libs.is_dir():
        raise StackError(f"no Kafka class path in {settings.kafka_libs}: run `make bootstrap`")
    for node in unformatted:
        say(f"formatting Kafka storage of {settings.kafka_node_name(node)} (first start)")
        result = subprocess.run(kafka.format_command(settings, cluster_id(settings), node),
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise StackError(f"Kafka StorageTool format failed:\n{result.stdout}{result.stderr}")


def check_binaries(settings: Settings, infra_only: bool) -> None:
    needed = {"java": "run `make bootstrap`", "redis-server": "run `make bootstrap` (apt: redis-server)"}
    if not infra_only:
        needed["haproxy"] = "run `make bootstrap` (apt: haproxy)"
    missing = [f"{name}: {hint}" for name, hint in needed.items() if shutil.which(name) is None]
    built = [settings.mailpit_bin, settings.zipkin_jar, settings.otel_collector_bin]
    built += [] if infra_only and not settings.ha else [settings.toxiproxy_bin]
    missing += [f"{path}: run `make bootstrap`" for path in built if not path.exists()]
    if not (settings.venv_bin / "supervisord").exists():
        missing.append(f"{settings.venv_bin / 'supervisord'}: run `make bootstrap`")
    if missing:
        raise StackError("missing:\n  " + "\n  ".join(missing))


# --- waiting --------------------------------------------------------------------------------------
def log_tail(settings: Settings, name: str, lines: int = LOG_TAIL_LINES) -> str:
    path = settings.logs / f"{name}.log"
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def _wait_for(settings: Settings, name: str, check, deadline_s: float) -> None:
    if not probes.wait_until(check, deadline_s):
        raise StackError(f"{name} not ready after {deadline_s:.0f} s; last lines of "
                         f"{settings.logs / (name + '.log')}:\n{log_tail(settings, name)}")


def wait_for_infra(settings: Settings) -> None:
    started = time.monotonic()
    for node in settings.redis_nodes:
        _wait_for(settings, settings.redis_node_name(node),
                  lambda node=node: probes.redis_ping(settings.host, settings.redis_node_port(node)), REDIS_DEADLINE_S)
    for index in settings.sentinels:
        _wait_for(settings, f"sentinel-{index}",
                  lambda index=index: probes.redis_ping(settings.host, settings.sentinel_port(index)),
                  REDIS_DEADLINE_S)
    _wait_for(settings, "mailpit", lambda: probes.http_ok(settings.mailpit_url + "/readyz"), MAILPIT_DEADLINE_S)
    if settings.ha:
        from faultline_ops import ha

        _wait_for(settings, settings.kafka_node_name(1), lambda: ha.brokers_registered(settings),
                  KAFKA_DEADLINE_S * 3)   # three JVMs on two cores
    else:
        _wait_for(settings, "kafka", lambda: probes.kafka_metadata(settings.kafka_bootstrap), KAFKA_DEADLINE_S)
    _wait_for(settings, "zipkin", lambda: probes.http_ok(settings.zipkin_url + "/health"), ZIPKIN_DEADLINE_S)
    _wait_for(settings, "otel-collector", lambda: probes.tcp_open(settings.host, settings.otlp_port),
              MAILPIT_DEADLINE_S)
    say(f"kafka, redis, mailpit, zipkin and the otel collector ready ({time.monotonic() - started:.1f} s)")


def ensure_topics(settings: Settings) -> None:
    from faultline_kit.topology import ensure_topics as create_missing_topics

    configs = {"min.insync.replicas": str(settings.kafka_min_insync_replicas)} if settings.ha else None
    created = create_missing_topics(settings.kafka_bootstrap, settings.topic_partitions,
                                    replication_factor=settings.kafka_replication_factor, topic_configs=configs)
    if created:
        say(f"created topics: {', '.join(created)}")


def _states(settings: Settings) -> dict[str, str]:
    return {info.name: info.state for info in supervisor.processes(settings)}


def wait_for_instances(settings: Settings, programs: list[Program]) -> None:
    """Wait until every instance answers GET /readyz with 200, and HAProxy routes to each service."""
    pending = {p.name: f"http://{settings.host}:{p.port}/readyz" for p in programs}
    end = time.monotonic() + SERVICES_DEADLINE_S
    fatal: list[str] = []
    while pending and not fatal and time.monotonic() < end:
        pending = {name: url for name, url in pending.items() if not probes.http_ok(url)}
        fatal = [name for name in pending if _states(settings).get(name) == "FATAL"]
        if pending and not fatal:
            time.sleep(0.5)
    if pending:
        states = _states(settings)
        details = "\n".join(
            f"--- {name} ({url}, supervisor state {states.get(name, '?')}), last lines of "
            f"{settings.logs / (name + '.log')}:\n{log_tail(settings, name)}"
            for name, url in pending.items()
        )
        why = "gave up restarting" if fatal else f"not ready after {SERVICES_DEADLINE_S:.0f} s"
        raise StackError(f"{why}: {', '.join(pending)}\n{details}")
    fronts = {s: settings.service_url(s) + "/readyz" for s in SERVICES}
    if not probes.wait_until(lambda: all(probes.http_ok(url) for url in fronts.values()), 10.0):
        raise StackError(f"HAProxy does not route to ready replicas; see {settings.logs / 'haproxy.log'}")
    if not probes.wait_until(lambda: probes.http_ok(settings.toxiproxy_url + "/version"), 10.0):
        raise StackError(f"Toxiproxy does not answer on {settings.toxiproxy_url}; "
                         f"see {settings.logs / 'toxiproxy.log'}")


# --- commands -------------------------------------------------------------------------------------
def up(settings: Settings, infra_only: bool = False) -> None:
    started = time.monotonic()
    check_binaries(settings, infra_only)
    claim_profile(settings)
    render_all(settings, infra_only)
    format_kafka_storage(settings)
    if supervisor.is_running(settings):
        supervisor.apply_config(settings)
    else:
        supervisor.start(settings)
    wait_for_infra(settings)
    ensure_topics(settings)
    if not infra_only:
        apps = supervisor_render.app_programs(settings)
        supervisor.start_programs(settings, [p.qualified_name for p in apps])
        wait_for_instances(settings, [p for p in apps if p.probe == "readyz"])
        _wait_for(settings, "console", lambda: probes.http_ok(settings.console_url + "/readyz"), CONSOLE_DEADLINE_S)
    print_urls(settings, infra_only)
    say(f"stack up in {time.monotonic() - started:.1f} s")


def down(settings: Settings) -> None:
    # HA: three Kafka nodes stopped one after another leave the last without a quorum to shut down cleanly: it waits
    # out its stopwaitsecs (15 s; 45 s for all three when Toxiproxy, their only link, had stopped first). So the
    # services stop first, together (they still reach Kafka), then the three nodes together while Toxiproxy runs.
    if settings.ha and supervisor.is_running(settings):
        apps = [p.qualified_name for p in supervisor_render.app_programs(settings)]
        supervisor.stop_together(settings, apps, SHUTDOWN_DEADLINE_S)
        supervisor.stop_together(settings, [settings.kafka_node_name(n) for n in settings.kafka_nodes],
                                 SHUTDOWN_HA_DEADLINE_S)
    if supervisor.shutdown(settings, deadline_s=SHUTDOWN_HA_DEADLINE_S if settings.ha else SHUTDOWN_DEADLINE_S):
        say(f"stopped everything under {settings.home} (data kept; `faultline clean` deletes it)")
    else:
        say(f"nothing running under {settings.home}")


def data_paths(settings: Settings) -> list[Path]:
    paths = [settings.kafka_data, settings.kafka_dir / "cluster-id", settings.redis_dir / "appendonlydir",
             settings.redis_dir / "dump.rdb", settings.mailpit_dir, settings.home / PROFILE_FILE]
    # The HA profile's nodes, and Sentinel's files (they record which node is the primary now).
    paths += [settings.kafka_dir / f"node-{n}" for n in range(1, 4)]
    paths += [settings.redis_dir / f"node-{n}" for n in range(1, 4)]
    paths += [settings.redis_dir / f"sentinel-{i}" for i in range(1, 4)]
    return paths


def clean(settings: Settings) -> None:
    down(settings)
    for path in data_paths(settings):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    say(f"deleted Kafka, Redis and Mailpit data under {settings.home}")


# --- reporting ------------------------------------------------------------------------------------
def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    for row in [headers, *rows]:
        say("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


def print_urls(settings: Settings, infra_only: bool) -> None:
    rows = [] if infra_only else [[s, settings.service_url(s)] for s in SERVICES]
    if not infra_only:
        rows.append(["control room", settings.console_url])
        rows.append(["haproxy stats", f"http://{settings.host}:{settings.haproxy_stats_port}/"])
        rows.append(["toxiproxy API", settings.toxiproxy_url])
    rows += [
        ["mailpit UI", settings.mailpit_url],
        ["zipkin UI", settings.zipkin_url],
        ["otlp/http", settings.otlp_endpoint],
        ["smtp", f"{settings.host}:{settings.smtp_port}"],
        ["kafka", settings.kafka_bootstrap],
        *([["redis sentinels", f"{settings.sentinel_addresses} (primary `{settings.sentinel_master}`)"]]
          if settings.ha else [["redis", settings.redis_url]]),
        ["logs", str(settings.logs)],
    ]
    print_table(["WHAT", "WHERE"], rows)


def known_programs(settings: Settings) -> dict[str, Program]:
    return {p.name: p for p in supervisor_render.programs(settings, infra_only=False)}


def program_port(settings: Settings, name: str) -> int | None:
    """The port of a program named by status, also for replicas beyond the configured count."""
    service, _, index = name.rpartition("-")
    if service in SERVICES and index.isdigit():
        return settings.replica_port(service, int(index))
    program = known_programs(settings).get(name)
    return program.port if program else None


def probe(settings: Settings, name: str, port: int | None) -> bool:
    if port is None:
        return False
    if name == "kafka":
        return probes.kafka_metadata(settings.kafka_bootstrap, timeout=2.0)
    if name.startswith("kafka-"):
        return probes.kafka_node_ready(settings.host, port, timeout=2.0)
    if name == "redis" or name.startswith(("redis-", "sentinel-")):
        return probes.redis_ping(settings.host, port)
    if name == "haproxy":
        return probes.http_ok(f"http://{settings.host}:{port}/")
    if name == "zipkin":
        return probes.http_ok(f"http://{settings.host}:{port}/health")
    if name == "otel-collector":
        return probes.tcp_open(settings.host, port)
    if name == "toxiproxy":
        return probes.http_ok(f"http://{settings.host}:{port}/version")
    return probes.http_ok(f"http://{settings.host}:{port}/readyz")


def _self_report(settings: Settings, port: int | None) -> dict:
    """What one service instance reports on /debug/resilience: breakers, consumer lag, its outbox."""
    return observe.instance_report(observe.fetch_json(f"http://{settings.host}:{port}/debug/resilience")
                                   if port else None)


def _membership(settings: Settings, ports: dict[str, int]) -> tuple[str | None, dict[str, dict]]:
    """The fullest membership view (/cluster) among the instances: instance id -> its row."""
    return observe.fullest_membership(observe.fetch_json(f"http://{settings.host}:{port}/cluster")
                                      for port in ports.values())


def _dead_letters(settings: Settings) -> dict[str, int] | None:
    if not any(probes.tcp_open(settings.host, settings.kafka_node_port(n)) for n in settings.kafka_nodes):
        return None
    from faultline_ops.verify import dead_letter_depths

    try:
        return dead_letter_depths(settings.kafka_bootstrap)
    except Exception:  # noqa: BLE001 - status reports, it never fails
        return None


def _program_names(settings: Settings, infos: dict) -> list[str]:
    """Every program, in the order the stack declares them; programs supervisord runs beyond those come last."""
    order = list(known_programs(settings))
    if not infos:
        return order
    return sorted(infos, key=lambda n: (order.index(n) if n in order else len(order), n))


def _running_service_ports(settings: Settings, names: list[str], infos: dict) -> dict[str, int | None]:
    return {name: program_port(settings, name) for name in names
            if name.rpartition("-")[0] in SERVICES and infos.get(name) and infos[name].state == "RUNNING"}


def _instance_row(settings: Settings, name: str, info, member: dict | None, reports_itself: bool):
    from faultline_ops.render.status import InstanceRow

    port = program_port(settings, name)
    state = info.state if info else "STOPPED"
    ready = probe(settings, name, port) if state == "RUNNING" else False
    report = _self_report(settings, port) if reports_itself else {}
    return InstanceRow(name, str(port or "-"), str(info.pid) if info and info.pid else "-", state, ready,
                       member=member["status"] if member else None,
                       last_seen_s=member["last_seen_s"] if member else None, **report)


def _elsewhere_row(member: dict):
    """A member heard from that this supervisord does not run (a replica removed since, another host)."""
    from faultline_ops.render.status import InstanceRow

    return InstanceRow(member["instance_id"], "-", "-", "(elsewhere)", False, member["status"],
                       member["last_seen_s"], member.get("breakers") or {}, member.get("consumer_lag"))


def _table_width() -> int | None:
    """A terminal gets its own width; a pipe or a file gets a wide table instead of rich's 80 columns."""
    return None if sys.stdout.isatty() else max(shutil.get_terminal_size((160, 24)).columns, 160)


def status(settings: Settings) -> None:
    from rich.console import Console

    from faultline_ops.render.status import status_renderable

    pid = supervisor.supervisord_pid(settings)
    infos = {info.name: info for info in supervisor.processes(settings)} if pid else {}
    names = _program_names(settings, infos)
    service_ports = _running_service_ports(settings, names, infos)
    seen_by, members = _membership(settings, service_ports)
    rows = [_instance_row(settings, name, infos.get(name), members.pop(name, None), name in service_ports)
            for name in names]
    others = [_elsewhere_row(member) for member in members.values()]
    console = Console(highlight=False, width=_table_width())
    console.print(status_renderable(
        str(settings.home), f"running (pid {pid})" if pid else "not running", rows, seen_by,
        _dead_letters(settings) if pid else None, others))
    if settings.ha and pid:
        console.print(_ha_renderable(settings))


def _ha_renderable(settings: Settings):
    """Brokers, partition leaders and ISR of the event topics, the active controller; the Redis primary, lag."""
    from rich.console import Group

    from faultline_ops import ha
    from faultline_ops.render.ha_status import kafka_renderable, redis_renderable

    return Group(kafka_renderable(ha.kafka_view(settings), list(ha.STATUS_TOPICS)),
                 redis_renderable(ha.redis_view(settings)))


def run(action, settings: Settings) -> int:
    """Run a command, turning a StackError into a message and exit status 1."""
    try:
        action(settings)
    except StackError as error:
        print(f"faultline: {error}", file=sys.stderr)
        return 1
    return 0

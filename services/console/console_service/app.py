"""create_app(settings=None, deps=None): the only place that wires the console. `bootstrap` builds the real
adapters (the chaos backend, the collector, the kit's heartbeat listener); a unit test passes fakes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Flask

from faultline_kit.health import health_blueprint
from faultline_kit.membership import MembershipListener, MembershipView
from faultline_kit.problems import register_problem_handlers
from faultline_kit.runtime import EXTENSION_KEY, BackgroundRuntime, BackgroundTask
from faultline_kit.topology import Topology

from .board import LiveBoard
from .config import ConsoleSettings
from .watch import Watchers


@dataclass
class ConsoleDeps:
    board: LiveBoard
    desk: object                       # FaultDesk: apply(action) / get(id) / lift(entry) / entries()
    tasks: list[BackgroundTask]
    instances: Callable[[], list[tuple[str, str, int]]]  # (name, service, replica index) the kill button offers
    backend: str


def bootstrap(settings: ConsoleSettings, render: Callable[[dict], dict[str, str]]) -> ConsoleDeps:
    from faultline_ops import settings as stack_settings
    from faultline_ops.chaos.backends import backend_for

    from .adapters.collector import Collector, LocalEndpoints, PodEndpoints, TopicDepths
    from .adapters.fault_desk import FaultDesk
    from .adapters.replication import ReplicationReader

    stack = stack_settings.from_env()
    backend = backend_for(settings.backend, stack)
    if settings.backend == "local":
        endpoints = LocalEndpoints(stack)
        order_url = settings.order_url or stack.service_url("order")
        chaos_file = stack.home / "chaos" / "current.json"
    else:
        endpoints = PodEndpoints(backend)
        order_url, chaos_file = settings.order_url, None
    membership = MembershipView("console")
    listener = MembershipListener(settings.kafka_bootstrap, "console", membership,
                                  Topology(settings.kafka_namespace).heartbeats)
    replication = ReplicationReader(stack) if settings.backend == "local" else None
    watchers = Watchers()
    collector = Collector(endpoints, membership, TopicDepths(settings.kafka_bootstrap), order_url, chaos_file,
                          replication=replication, watchers=watchers)
    desk = FaultDesk(backend)
    board = LiveBoard(collector.observe, desk.entries, render, settings.interval_s, watchers,
                      settings.idle_interval_s)
    tasks = [BackgroundTask("console-board", board.run), BackgroundTask("console-slow", collector.run_slow),
             BackgroundTask(listener.name, listener.run)]
    return ConsoleDeps(board, desk, tasks, lambda: replica_choices(endpoints()), settings.backend)


def replica_choices(endpoints) -> list[tuple[str, str, int]]:
    """(instance name, service, 1-based replica index among its service's instances sorted by name): the index
    is how the chaos backends name a replica (locally `inventory-1`; on Kubernetes the n-th running pod)."""
    choices = []
    for service in sorted({e.service for e in endpoints}):
        names = sorted(e.name for e in endpoints if e.service == service)
        choices += [(name, service, index) for index, name in enumerate(names, start=1)]
    return choices


def create_app(settings: ConsoleSettings | None = None, deps: ConsoleDeps | None = None) -> Flask:
    from .entrypoints.web import console_blueprint, fragment_renderer

    settings = settings or ConsoleSettings.from_env()
    app = Flask(__name__, static_folder="static", static_url_path="/static")
    app.json.sort_keys = False
    render = fragment_renderer(app)
    deps = deps or bootstrap(settings, render)
    runtime = BackgroundRuntime(deps.tasks)
    app.extensions[EXTENSION_KEY] = runtime
    app.extensions["faultline.console"] = deps
    register_problem_handlers(app)
    app.register_blueprint(health_blueprint({"board": lambda: deps.board.version > 0}, {}))
    app.register_blueprint(console_blueprint(deps, lambda: settings.admin_token))
    return app

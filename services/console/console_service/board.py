"""The live board: each collection round becomes one view (rows, numbers, the topology picture), rendered once into
HTML fragments and a JSON payload that every open page receives over server-sent events."""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict
from typing import Any, Callable

from . import model, topology
from .model import History, Observation
from .watch import Watchers

log = logging.getLogger(__name__)

ORDER_STATES = ("PENDING", "CONFIRMED", "REJECTED", "CANCELLED")
CHAOS_PHASES = ("steady state", "fault", "recovery", "verdict")


def build_view(obs: Observation, history: History, faults: list[dict]) -> dict[str, Any]:
    """Everything the page shows, from one observation (pure apart from `history`, which it extends)."""
    rows = model.instance_rows(obs)
    groups = model.group_rows(obs)
    outbox = model.outbox_view(obs)
    dependencies = model.dependency_health(obs)
    lag = sum(g.lag + g.retry_lag for g in groups)
    history.add(obs, outbox.backlog, lag)
    edges = topology.edge_states(rows, groups, dependencies)
    orders = {state: (obs.orders_by_status or {}).get(state, 0) for state in ORDER_STATES} \
        if obs.orders_by_status is not None else None
    return {
        "at": obs.at,
        "instances": [asdict(r) for r in rows],
        "groups": [asdict(g) for g in groups],
        "outbox": asdict(outbox),
        "dependencies": dependencies,
        "edges": edges,
        "svg": topology.render_svg(edges, topology.node_states(rows, dependencies)),
        "orders": orders,
        "figures": history.figures(),
        "series": history.series(),
        "faults": faults,
        "chaos": obs.chaos,
        "chaos_phases": CHAOS_PHASES,
        "replication": obs.replication,
    }


class LiveBoard:
    """Holds the latest rendered view; `wait(version)` blocks an event stream until a newer one exists.

    A round every `interval_s` while someone watches (`watchers`), every `idle_interval_s` otherwise."""

    def __init__(self, observe: Callable[[], Observation], faults: Callable[[], list[dict]],
                 render: Callable[[dict], dict[str, str]], interval_s: float = 0.5,
                 watchers: Watchers | None = None, idle_interval_s: float = 5.0) -> None:
        self._observe = observe
        self._faults = faults
        self._render = render
        self.interval_s = interval_s
        self.idle_interval_s = max(idle_interval_s, interval_s)
        self.watchers = watchers or Watchers()
        self.history = History()
        self.version = 0
        self.view: dict[str, Any] | None = None
        self.payload: str | None = None
        self.fragments: dict[str, str] | None = None
        self.last_round_s: float | None = None
        self._changed = threading.Condition()

    def refresh(self) -> None:
        started = time.monotonic()
        view = build_view(self._observe(), self.history, self._faults())
        fragments = self._render(view)
        payload = json.dumps({"at": view["at"], "html": fragments, "series": view["series"],
                              "edges": view["edges"], "figures": view["figures"]})
        with self._changed:
            self.view, self.payload, self.fragments = view, payload, fragments
            self.version += 1
            self.last_round_s = time.monotonic() - started
            self._changed.notify_all()

    def wait(self, seen: int, timeout_s: float = 15.0) -> tuple[int, str | None]:
        self.watchers.touch()
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen, timeout=timeout_s)
            return self.version, self.payload

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                self.refresh()
            except Exception:  # noqa: BLE001 - one bad round must not stop the page
                log.exception("console round failed")
            pace = self.watchers.pace(self.interval_s, self.idle_interval_s)
            self.watchers.sleep(stop, max(pace - (time.monotonic() - started), 0.05))

"""Reads the running system twice a second: every instance's /readyz, /debug/resilience and /metrics (in
parallel, short timeouts), the console's own membership view (the kit's heartbeat listener), and, more slowly,
Kafka's retry and dead-letter topic depths and the orders by state. The only module here that does I/O on the
system it watches."""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import requests

from faultline_kit.membership import MembershipView
from faultline_ops import observe

from ..model import Endpoint, InstanceObservation, Observation
from ..watch import Watchers

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 0.8
ORDERS_PAGE = 1000


# --- where the instances are --------------------------------------------------------------------------------
class LocalEndpoints:
    """The `make up` stack: replica i of a service on its front port + 10000 * i (faultline_ops settings)."""

    def __init__(self, stack) -> None:
        self.stack = stack

    def __call__(self) -> list[Endpoint]:
        from faultline_ops.settings import SERVICES

        return [Endpoint(f"{service}-{i}", service, f"http://{self.stack.host}:{self.stack.replica_port(service, i)}")
                for service in SERVICES for i in range(1, self.stack.replicas + 1)]


class PodEndpoints:
    """A Kubernetes release: the running pods of each service (through the k8s chaos backend's client), reached
    on their pod IP and container port `http`; the list is refreshed every `refresh_s`."""

    def __init__(self, backend, refresh_s: float = 2.0) -> None:
        self.backend = backend
        self.refresh_s = refresh_s
        self._cached: list[Endpoint] = []
        self._at = 0.0

    def __call__(self) -> list[Endpoint]:
        if time.monotonic() - self._at < self.refresh_s:
            return self._cached
        from faultline_ops.chaos.backends.k8s import _get, http_port, pick_pods
        from faultline_ops.settings import SERVICES

        found = []
        try:
            for service in SERVICES:
                for pod in pick_pods(self.backend.pods(service), None):
                    ip = _get(_get(pod, "status"), "pod_ip")
                    if ip:
                        found.append(Endpoint(_get(_get(pod, "metadata"), "name"), service,
                                              f"http://{ip}:{http_port(pod)}"))
        except Exception as error:  # noqa: BLE001 - the API server being away shows as no instances
            log.warning("cannot list pods: %s", error)
            return self._cached
        self._cached, self._at = found, time.monotonic()
        return found


# --- slower readings -----------------------------------------------------------------------------------------
class TopicDepths:
    """Retry and dead-letter topic depths through one long-lived KafkaConsumer (re-made after a failure)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self._consumer = None

    def read(self) -> dict[str, int] | None:
        from kafka import KafkaConsumer
        from kafka.errors import KafkaError

        try:
            if self._consumer is None:
                self._consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, client_id="faultline-console",
                                               request_timeout_ms=3000, bootstrap_timeout_ms=3000,
                                               reconnect_backoff_max_ms=1000)
            return observe.topic_depths(self._consumer, (".retry", ".dlq"))
        except (KafkaError, OSError, ValueError) as error:
            log.debug("topic depths unreadable: %r", error)
            self.close()
            return None

    def close(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001
                pass
            self._consumer = None


def orders_by_status(order_url: str, session: requests.Session, timeout_s: float = 2.0) -> dict[str, int] | None:
    """Every order's status, counted, through order's paged listing (None when order does not answer)."""
    counts: Counter[str] = Counter()
    offset: int | None = 0
    try:
        while offset is not None:
            body = session.get(f"{order_url}/orders", params={"offset": offset, "limit": ORDERS_PAGE},
                               timeout=timeout_s).json()
            counts.update(order["status"] for order in body["orders"])
            offset = body.get("next_offset")
    except (requests.RequestException, ValueError, KeyError, TypeError):
        return None
    return dict(counts)


def chaos_status(path: Path | None) -> dict | None:
    """The phase file `faultline chaos run` keeps up to date (local stack only)."""
    if path is None:
        return None
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not status.get("verdict") and not _alive(int(status.get("pid") or 0)):
        status["detail"] = "the runner stopped before its verdict"
        status["verdict"] = "ABORTED"
    return status


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- the collector ------------------------------------------------------------------------------------------
class Collector:
    def __init__(self, endpoints: Callable[[], list[Endpoint]], membership: MembershipView,
                 depths: TopicDepths | None, order_url: str | None, chaos_file: Path | None = None,
                 slow_every_s: float = 2.0, ready_every: int = 1, metrics_every: int = 4,
                 orders_every: int = 3, replication: Callable[[], dict | None] | None = None,
                 watchers: Watchers | None = None, slow_idle_every_s: float = 10.0) -> None:
        self.endpoints = endpoints
        self.watchers = watchers or Watchers()
        self.slow_idle_every_s = max(slow_idle_every_s, slow_every_s)
        self.replication = replication
        self.membership = membership
        self.depths = depths
        self.order_url = order_url
        self.chaos_file = chaos_file
        self.slow_every_s = slow_every_s
        self.ready_every = ready_every
        self.metrics_every = metrics_every
        self.orders_every = orders_every
        self._slow_round = 0
        self._round = 0
        self._last: dict[str, tuple[bool | None, dict | None]] = {}
        self.http = requests.Session()
        self.http.mount("http://", requests.adapters.HTTPAdapter(pool_connections=32, pool_maxsize=32))
        self._pool = ThreadPoolExecutor(max_workers=24, thread_name_prefix="console-probe")
        self._slow: dict = {"depths": None, "orders": None, "replication": None}
        self._slow_lock = threading.Lock()

    def _get(self, url: str) -> tuple[int | None, str | None]:
        try:
            response = self.http.get(url, timeout=PROBE_TIMEOUT_S)
            return response.status_code, response.text
        except requests.RequestException:
            return None, None

    def _instance(self, endpoint: Endpoint, readiness: bool, metrics: bool) -> InstanceObservation:
        """/debug/resilience every round (a refused connection shows at once); /readyz (a Redis and a Kafka probe
        on the instance) and /metrics (a rendering of every series) only on the rounds asked, the last readiness
        kept in between."""
        board_f = self._pool.submit(self._get, endpoint.url + "/debug/resilience")
        ready_f = self._pool.submit(self._get, endpoint.url + "/readyz") if readiness else None
        metrics_f = self._pool.submit(self._get, endpoint.url + "/metrics") if metrics else None
        board_status, board = board_f.result()
        if ready_f is not None:
            status, body = ready_f.result()
            self._last[endpoint.name] = (None if status is None else status == 200, _json(body))
        text = None
        if metrics_f is not None:
            metrics_status, text = metrics_f.result()
            text = text if metrics_status == 200 else None
        ready, ready_body = self._last.get(endpoint.name, (None, None))
        if board_status is None:            # nothing answers: unreachable now, whatever /readyz said before
            ready, ready_body = None, None
            self._last.pop(endpoint.name, None)
        return InstanceObservation(endpoint, ready, ready_body, _json(board) if board_status == 200 else None, text)

    def observe(self) -> Observation:
        """One round: every instance's board; readiness every `ready_every`-th round, metrics every
        `metrics_every`-th (`Observation.full` says whether this round read them)."""
        endpoints = self.endpoints()
        readiness = self._round % self.ready_every == 0
        metrics = self._round % self.metrics_every == 0
        self._round += 1
        instances = tuple(self._pool.map(lambda e: self._instance(e, readiness, metrics), endpoints))
        with self._slow_lock:
            slow = dict(self._slow)
        return Observation(time.time(), instances, tuple(self.membership.members()), slow["depths"],
                           slow["orders"], chaos_status(self.chaos_file), full=metrics,
                           replication=slow["replication"])

    def read_slow(self, everything: bool | None = None) -> None:
        """The readings that cost more: Kafka's topic depths every `slow_every_s`, the whole order listing (order
        reads every order from Redis for it) and the replication view every `orders_every` of those rounds, or
        whenever `everything` says so."""
        if everything is None:
            everything = self._slow_round % self.orders_every == 0
        self._slow_round += 1
        depths = self.depths.read() if self.depths else None
        with self._slow_lock:
            orders, replication = self._slow["orders"], self._slow["replication"]
        if everything:
            if self.order_url:
                orders = orders_by_status(self.order_url, self.http)
            replication = self._replication()   # an admin client to every broker: as seldom as the orders
        with self._slow_lock:
            self._slow = {"depths": depths, "orders": orders, "replication": replication}

    def _replication(self) -> dict | None:
        if self.replication is None:
            return None
        try:
            return self.replication()
        except Exception as error:  # noqa: BLE001 - the panel shows what it could not read
            log.debug("replication unreadable: %r", error)
            return {"kafka": {"error": repr(error)}, "redis": {"error": repr(error)}}

    def run_slow(self, stop: threading.Event) -> None:
        watched_before = False
        while not stop.is_set():
            started = time.monotonic()
            watched = self.watchers.watched()
            # Unwatched rounds are rare, so each reads everything; so does the first round a page just opened
            # waits for, or the page would show readings up to three idle rounds old.
            self.read_slow(everything=True if not (watched and watched_before) else None)
            watched_before = watched
            pace = self.watchers.pace(self.slow_every_s, self.slow_idle_every_s)
            self.watchers.sleep(stop, max(pace - (time.monotonic() - started), 0.2))
        if self.depths:
            self.depths.close()


def _json(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

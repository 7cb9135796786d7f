"""The local backend: supervisord for processes, Toxiproxy for the network, /admin/faults for the rest.

A kill sends SIGKILL to the program's whole process group (supervisord starts each program in its own group), as a
container runtime kills a container: gunicorn's master and its worker die together, and supervisord restarts the
program as a kubelet restarts a container. `supervisorctl signal KILL` would reach only the master and leave the
worker serving until it noticed.
"""
from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor

import requests

from ... import ha, probes, supervisor
from ...errors import StackError
from ...settings import SERVICES, Settings
from ..experiment import Step, Target
from ..failover import FailoverWatch
from . import ActiveFault

WATCHED_TOPIC = "orders"   # kill-broker takes the leader of its busiest partition

RESTART_DEADLINE_S = 30.0
STOP_DEADLINE_S = 10.0
PROBE_TIMEOUT_S = 2.0
TOXIC_NAME = "faultline-chaos"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


class LocalBackend:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.http = requests.Session()
        self._probe_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="chaos-probe")

    # --- names and addresses ----------------------------------------------------------------------------------
    def replica_url(self, service: str, index: int) -> str:
        return f"http://{self.settings.host}:{self.settings.replica_port(service, index)}"

    @staticmethod
    def qualified(service: str, index: int) -> str:
        return f"{service}:{service}-{index}"

    def outbox_leader(self) -> int:
        """The order replica holding the outbox lease (its relay publishes), from any replica's status board."""
        for index in range(1, self.settings.replicas + 1):
            try:
                body = self.http.get(f"{self.replica_url('order', index)}/debug/resilience", timeout=2).json()
            except (requests.RequestException, ValueError):
                continue
            holder = ((body.get("outbox") or {}).get("lease") or {}).get("holder") or ""
            prefix = "order-"
            if holder.startswith(prefix) and holder[len(prefix):].isdigit():
                return int(holder[len(prefix):])
        return 1

    def replicas(self, target: Target) -> list[int]:
        if target.replica is None:
            return list(range(1, self.settings.replicas + 1))
        if target.replica == "leader":
            return [self.outbox_leader()]
        if target.replica > self.settings.replicas:
            raise StackError(f"{target.service} has {self.settings.replicas} replicas, not {target.replica}")
        return [int(target.replica)]

    def programs(self, target: Target) -> list[str]:
        if target.program in ("kafka", "redis"):
            return [self._node_name(target.program, n) for n in self.nodes(target)]
        if target.program:
            return [target.program]
        return [self.qualified(target.service, i) for i in self.replicas(target)]

    # --- the HA profile's nodes -------------------------------------------------------------------------------
    def _node_name(self, program: str, node: int) -> str:
        s = self.settings
        return s.kafka_node_name(node) if program == "kafka" else s.redis_node_name(node)

    def nodes(self, target: Target) -> list[int]:
        """The Kafka or Redis nodes a target names: every node, one by number, or the one holding a role now."""
        s = self.settings
        every = s.kafka_nodes if target.program == "kafka" else s.redis_nodes
        if target.node is None:
            return every
        if not s.ha:
            raise StackError(f"{target.describe()} needs the HA profile: `make up UP_ARGS=--ha`")
        if isinstance(target.node, int):
            return [target.node]
        found = {"leader": self._busiest_partition_leader,
                 "controller": lambda: ha.active_controller(s),
                 "primary": lambda: ha.redis_primary(s)}[target.node]()
        if found is None or found not in every:
            raise StackError(f"no {target.node} found for {target.program} (is the cluster healthy?)")
        return [found]

    def _busiest_partition_leader(self) -> int | None:
        partition, leader = ha.busiest_partition(self.settings, WATCHED_TOPIC) or (None, None)
        self._watched_partition = partition
        return leader

    def _watch_failover(self, target: Target, nodes: list[int], fault: ActiveFault,
                        asked: int | None = None) -> None:
        """Time the replacement of a node taken by role: a new partition leader, controller or Redis primary.
        `asked`: the node whose view of the leaders counts (a node cut off still answers from a stale one)."""
        s, gone = self.settings, set(nodes)
        if target.node == "leader":
            partition = getattr(self, "_watched_partition", 0)
            fault.figures["partition"] = f"{WATCHED_TOPIC}-{partition}"

            def leader():
                if asked is not None:
                    seen = ha.partitions_seen_by(s, asked, WATCHED_TOPIC) or ()
                    return next((p.leader for p in seen if p.partition == partition), None)
                return ha.kafka_view(s, topics=[WATCHED_TOPIC]).leaders(WATCHED_TOPIC).get(partition)

            FailoverWatch(fault.figures, "new partition leader after (s)", leader,
                          lambda node: node >= 0 and node not in gone, lambda n: f"node {n}").start()
        elif target.node == "controller":
            FailoverWatch(fault.figures, "new controller elected after (s)", lambda: ha.active_controller(s),
                          lambda node: node >= 0 and node not in gone, lambda n: f"node {n}").start()
        elif target.node == "primary":
            FailoverWatch(fault.figures, "replica promoted after (s)", lambda: ha.redis_primary(s),
                          lambda node: node not in gone, lambda n: f"redis-{n}").start()

    # --- readiness --------------------------------------------------------------------------------------------
    def _ready_http(self, url: str) -> bool:
        return probes.http_ok(url + "/readyz", timeout=PROBE_TIMEOUT_S)

    def program_ready(self, name: str) -> bool:
        s = self.settings
        if name == "kafka":
            return probes.kafka_metadata(s.kafka_bootstrap, timeout=2.0)
        if name == "redis":
            return probes.redis_ping(s.host, s.redis_port)
        if name.startswith("kafka-"):
            return probes.kafka_node_ready(s.host, s.kafka_node_port(int(name[6:])), timeout=2.0)
        if name.startswith("redis-"):
            return probes.redis_ping(s.host, s.redis_node_port(int(name[6:])))
        if name == "toxiproxy":
            return probes.http_ok(self.settings.toxiproxy_url + "/version")
        service, _, index = name.partition(":")[2].rpartition("-")
        return self._ready_http(self.replica_url(service, int(index)))

    def readiness(self) -> tuple[dict[str, bool], dict[str, bool]]:
        fronts = {s: self.settings.service_url(s) for s in SERVICES}
        replicas = {f"{s}-{i}": self.replica_url(s, i) for s in SERVICES for i in range(1, self.settings.replicas + 1)}
        urls = {**fronts, **replicas}
        answers = dict(zip(urls, self._probe_pool.map(self._ready_http, urls.values())))
        return {s: answers[s] for s in fronts}, {r: answers[r] for r in replicas}

    def preflight(self) -> list[str]:
        if not supervisor.is_running(self.settings):
            return [f"no stack under {self.settings.home} (supervisord is not running): run `make up`"]
        problems = []
        if not probes.http_ok(self.settings.toxiproxy_url + "/version"):
            problems.append(f"Toxiproxy does not answer on {self.settings.toxiproxy_url}: run `make up`")
        services, _ = self.readiness()
        problems += [f"{s} is not ready at {self.settings.service_url(s)}" for s, ok in services.items() if not ok]
        return problems

    # --- processes --------------------------------------------------------------------------------------------
    def _pids(self) -> dict[str, tuple[str, int]]:
        return {info.qualified_name: (info.state, info.pid) for info in supervisor.processes(self.settings)}

    def _ctl(self, *args: str) -> None:
        """supervisorctl; "already started" and "not running" are what was wanted, any other ERROR is not."""
        result = supervisor.ctl(self.settings, *args, check=False)
        output = result.stdout + result.stderr
        if "ERROR" in output and not any(ok in output for ok in ("already started", "not running")):
            raise StackError(f"supervisorctl {' '.join(args)}: {output.strip()}")

    def _kill_group(self, name: str, sig: signal.Signals = signal.SIGKILL) -> int:
        state, pid = self._pids().get(name, ("UNKNOWN", 0))
        if state != "RUNNING" or pid <= 0:
            raise StackError(f"cannot kill {name}: it is {state}")
        _signal_group(pid, sig)
        return pid

    def _kill_and_keep_down(self, names: list[str]) -> None:
        """SIGKILL programs and keep supervisord from restarting them, with no restart in between.

        A SIGKILL first and `supervisorctl stop` after leaves a gap: supervisord restarts the program at once and
        stops it a moment later, and a Redis restarted from its AOF in that gap is a primary without replicas that
        answers writes which vanish with it (seen: two orders acknowledged by such a short-lived primary). So the
        group is frozen (SIGSTOP: it answers nothing from that moment, as if dead), supervisord is told to stop it
        (it then expects the exit and restarts nothing), and the frozen group is SIGKILLed, all within milliseconds.
        """
        frozen = {name: self._kill_group(name, signal.SIGSTOP) for name in names}
        try:
            supervisor.request_stop(self.settings, names)   # all at once: each is STOPPING when this returns
        finally:
            for pid in frozen.values():
                _signal_group(pid, signal.SIGKILL)
        if not supervisor.wait_stopped(self.settings, names, STOP_DEADLINE_S, interval_s=0.05):
            raise StackError(f"supervisord did not record {', '.join(names)} as stopped within {STOP_DEADLINE_S:.0f} s")

    def _restarted(self, name: str, old_pid: int) -> bool:
        state, pid = self._pids().get(name, ("UNKNOWN", 0))
        return state == "RUNNING" and pid not in (0, old_pid)

    def apply(self, step: Step) -> ActiveFault:
        handler = {"kill": self._kill, "stop": self._stop, "faults": self._faults, "proxy": self._proxy,
                   "isolate": self._isolate}[step.action]
        return handler(step)

    def _kill(self, step: Step) -> ActiveFault:
        nodes = self.nodes(step.target) if step.target.program in ("kafka", "redis") else []
        names = ([self._node_name(step.target.program, n) for n in nodes] if nodes
                 else self.programs(step.target))
        killed = {name: self._kill_group(name) for name in names}

        def lift() -> None:
            if not probes.wait_until(lambda: all(self._restarted(n, pid) for n, pid in killed.items()),
                                     RESTART_DEADLINE_S, interval_s=0.1):
                raise StackError(f"supervisord did not restart {', '.join(names)} within {RESTART_DEADLINE_S:.0f} s")

        fault = ActiveFault(f"SIGKILL {', '.join(names)} (pids {', '.join(map(str, killed.values()))})", lift,
                            lambda: all(self.program_ready(n) for n in names))
        self._watch_failover(step.target, nodes, fault)
        return fault

    def _stop(self, step: Step) -> ActiveFault:
        nodes = self.nodes(step.target) if step.target.program in ("kafka", "redis") else []
        names = ([self._node_name(step.target.program, n) for n in nodes] if nodes
                 else self.programs(step.target))
        how = str(step.params.get("signal", "TERM")).upper()
        if how == "KILL":
            self._kill_and_keep_down(names)
        else:
            self._ctl("stop", *names)

        def lift() -> None:
            self._ctl("start", *names)

        verb = "SIGKILL and keep down" if how == "KILL" else "stop"
        fault = ActiveFault(f"{verb} {', '.join(names)} for {step.duration_s:g} s", lift,
                            lambda: all(self.program_ready(n) for n in names))
        self._watch_failover(step.target, nodes, fault)
        return fault

    # --- faults through the services' admin API ---------------------------------------------------------------
    @property
    def _admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.admin_token}"}

    def _faults(self, step: Step) -> ActiveFault:
        service = step.target.service
        indexes = self.replicas(step.target)
        body = dict(step.params)
        for index in indexes:
            response = self.http.post(f"{self.replica_url(service, index)}/admin/faults", json=body,
                                      headers=self._admin, timeout=5)
            if response.status_code != 200:
                raise StackError(f"{service}-{index} refused the faults {body}: {response.status_code} "
                                 f"{response.text[:200]}")

        def lift() -> None:
            for index in indexes:
                self._clear_faults(service, index)

        replicas = ", ".join(f"{service}-{i}" for i in indexes)
        return ActiveFault(f"faults {body} on {replicas} for {step.duration_s:g} s", lift,
                           lambda: all(self._ready_http(self.replica_url(service, i)) for i in indexes))

    def _clear_faults(self, service: str, index: int) -> bool:
        try:
            return self.http.delete(f"{self.replica_url(service, index)}/admin/faults", headers=self._admin,
                                    timeout=5).status_code == 200
        except requests.RequestException:
            return False   # a replica that is down has no faults to clear (they live in memory)

    # --- the network, through Toxiproxy -----------------------------------------------------------------------
    def _toxiproxy(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        response = self.http.request(method, f"{self.settings.toxiproxy_url}{path}", json=body, timeout=5)
        if response.status_code >= 300 and not (method == "DELETE" and response.status_code == 404):
            raise StackError(f"Toxiproxy {method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def _proxy(self, step: Step) -> ActiveFault:
        route = step.target.route
        mode = step.params.get("mode", "cut")
        if mode == "cut":
            self._toxiproxy("POST", f"/proxies/{route}", {"enabled": False})
            lift = lambda: self._toxiproxy("POST", f"/proxies/{route}", {"enabled": True})  # noqa: E731
            what = f"cut {route} (connections refused)"
        else:
            attributes = ({"timeout": int(step.params.get("timeout_ms", 0))} if mode == "timeout" else
                          {"latency": int(step.params.get("latency_ms", 500)),
                           "jitter": int(step.params.get("jitter_ms", 0))})
            self._toxiproxy("POST", f"/proxies/{route}/toxics",
                            {"name": TOXIC_NAME, "type": mode, "stream": step.params.get("stream", "downstream"), "toxicity": 1.0,
                             "attributes": attributes})
            lift = lambda: self._toxiproxy("DELETE", f"/proxies/{route}/toxics/{TOXIC_NAME}")  # noqa: E731
            what = f"{mode} toxic {attributes} on {route}"
        return ActiveFault(f"{what} for {step.duration_s:g} s", lift, lambda: True)

    def _isolate(self, step: Step) -> ActiveFault:
        """Cut one Kafka node off from the other two: every Toxiproxy link from and to it (replication fetches,
        Raft and heartbeats to the controllers) disabled, both ways; its client listener stays reachable."""
        s = self.settings
        (node,) = self.nodes(step.target)
        links = [s.kafka_link_name(*link) for link in s.kafka_links() if node in link[:2]]
        for name in links:
            self._toxiproxy("POST", f"/proxies/{name}", {"enabled": False})
        others = [n for n in s.kafka_nodes if n != node]
        asked = others[0]   # the majority side's view counts

        def lift() -> None:
            for name in links:
                self._toxiproxy("POST", f"/proxies/{name}", {"enabled": True})
            FailoverWatch(fault.figures, "back in every ISR after lifting (s)",
                          lambda: self._isr_holding(node, asked), lambda holding: holding == "all",
                          lambda _: f"node {node}").start()

        fault = ActiveFault(f"cut {s.kafka_node_name(node)} off from nodes {', '.join(map(str, others))} "
                            f"({len(links)} replication and controller links, both ways) for {step.duration_s:g} s",
                            lift, lambda: self.program_ready(s.kafka_node_name(node)))
        FailoverWatch(fault.figures, "left every ISR after (s)", lambda: self._isr_holding(node, asked),
                      lambda holding: holding == "none", lambda _: f"nodes {', '.join(map(str, others))}").start()
        self._watch_failover(step.target, [node], fault, asked=asked)
        return fault

    def _isr_holding(self, node: int, asked: int) -> str | None:
        """Whether `node` is in the ISR of every, none or some of the watched topic's partitions, as node `asked`
        sees them (None when it cannot be asked)."""
        seen = ha.partitions_seen_by(self.settings, asked, WATCHED_TOPIC)
        if not seen:
            return None
        held = [node in p.isr for p in seen]
        return "all" if all(held) else "none" if not any(held) else "some"

    # --- rollbacks --------------------------------------------------------------------------------------------
    def rollback(self, name: str) -> str:
        if name == "start-all":
            stopped = [n for n, (state, _) in self._pids().items() if state not in ("RUNNING", "STARTING")]
            if stopped:
                self._ctl("start", *stopped)
            return f"started {', '.join(stopped)}" if stopped else "every program was running"
        if name == "clear-faults":
            cleared = [f"{s}-{i}" for s in SERVICES for i in range(1, self.settings.replicas + 1)
                       if self._clear_faults(s, i)]
            return f"cleared faults on {len(cleared)} replicas"
        if name == "reset-proxies":
            self._toxiproxy("POST", "/reset")
            return "Toxiproxy reset: every proxy enabled, no toxics"
        raise ValueError(f"unknown rollback {name}")

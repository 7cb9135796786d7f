"""The cluster tier's helpers: the real single-node Kubernetes of `make cluster-up` with the chart installed.

The session starts the cluster when it is not up (`make cluster-up`) and stops what it started (`make
cluster-down`); it always deploys (`make cluster-deploy`: images built and imported, helm upgrade --install, every
pod Ready), so the tests see the chart as it is in the work tree. The shopper and the `faultline` commands reach the
services through their NodePorts (balanced over the ready pods, as on kind), the admin token is the chart's default.
Set FAULTLINE_KEEP_CLUSTER=1 to leave a cluster this session started running.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from faultline_ops import services
from faultline_ops.cluster import deploy, kube, layout
from support.stack import REPO, LocalStack, eventually

NAMESPACE = deploy.NAMESPACE
RELEASE = deploy.RELEASE
SERVICES = services.APIS


def make(target: str, timeout_s: float) -> None:
    result = subprocess.run(["make", "-s", target], cwd=REPO, capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise AssertionError(f"make {target} exited {result.returncode}:\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-4000:]}")
    sys.stdout.write(result.stdout)


@dataclass
class Cluster:
    settings: layout.ClusterSettings
    stack: LocalStack          # the `faultline` CLI and the shopper, pointed at the NodePorts

    def kubectl(self, *args: str, check: bool = True, timeout: float = 120, stdin: str | None = None):
        return kube.kubectl(self.settings, "-n", NAMESPACE, *args, check=check, timeout=timeout, stdin=stdin)

    def pods(self, component: str) -> list[dict[str, Any]]:
        selector = f"app.kubernetes.io/instance={RELEASE},app.kubernetes.io/component={component}"
        return kube.kubectl_json(self.settings, "-n", NAMESPACE, "get", "pods", "-l", selector)["items"]

    def ready_pods(self, component: str) -> list[str]:
        return [p["metadata"]["name"] for p in self.pods(component)
                if p["metadata"].get("deletionTimestamp") is None
                and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))]

    def wait_all_ready(self, timeout_s: float = 300) -> None:
        for kind in ("deployment", "statefulset"):
            self.kubectl("rollout", "status", kind, "-l", f"app.kubernetes.io/instance={RELEASE}",
                         f"--timeout={int(timeout_s)}s", timeout=timeout_s + 30)

    def exec_python(self, pod: str, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
        """Run Python inside a service pod (the image's own interpreter and libraries)."""
        return self.kubectl("exec", pod, "--", "python3", "-c", code, check=False, timeout=timeout)


def cluster_env(settings: layout.ClusterSettings) -> dict[str, str]:
    env = dict(os.environ)
    ports = deploy.node_ports(settings)
    for name, port in ports.items():
        env[f"FAULTLINE_{name.upper()}_PORT"] = str(port)
    env.update({
        "KUBECONFIG": str(settings.kubeconfig),
        "FAULTLINE_K8S_NAMESPACE": NAMESPACE,
        "FAULTLINE_K8S_RELEASE": RELEASE,
        "FAULTLINE_ADMIN_TOKEN": "local-admin-token",     # the chart's default adminToken.value
        "FAULTLINE_HOME": str(REPO / ".run" / "cluster-test"),
        "PATH": f"{settings.bin}:{settings.tools_bin}:{env.get('PATH', '')}",
    })
    return env


@dataclass
class LocustRun:
    process: subprocess.Popen
    csv_prefix: Path
    log: Path
    events: Path

    def checkouts(self) -> tuple[int, int]:
        """(checkouts, failed): a checkout fails when no attempt of it (same Idempotency-Key) got its 202."""
        import json

        records = (json.loads(line) for line in self.events.read_text().splitlines() if line.strip())
        flows = [record for record in records if record.get("kind") == "flow"]
        return len(flows), sum(not flow["ok"] for flow in flows)

    def stats(self) -> dict[str, dict[str, str]]:
        import csv

        with open(f"{self.csv_prefix}_stats.csv", newline="") as handle:
            return {f"{row['Type']} {row['Name']}": row for row in csv.DictReader(handle)}

    def totals(self) -> tuple[int, int]:
        """(requests, failures) so far; (0, 0) until Locust has written its first rows."""
        aggregated = self.stats().get(" Aggregated")
        if aggregated is None:
            return 0, 0
        return int(aggregated["Request Count"]), int(aggregated["Failure Count"])


@contextlib.contextmanager
def locust(cluster: Cluster, folder: Path, users: int = 4, retries: int = 0) -> Iterator[LocustRun]:
    """Locust shoppers (loadtests/locustfile.py) on the NodePorts until the block ends; then stopped cleanly
    (SIGINT: shoppers finish their journey, followed orders are waited for) and its CSV and events are there to
    judge. `retries`: a well-behaved client's retries of a cart PUT or checkout (same Idempotency-Key)."""
    settings = cluster.stack.settings
    prefix = folder / "locust"
    log = folder / "locust.log"
    events = folder / "events.jsonl"
    command = [str(Path(sys.executable).parent / "locust"), "--config", "loadtests/locust.conf", "--headless",
               "--only-summary", "--host", settings.service_url("cart"),
               "--inventory-host", settings.service_url("inventory"), "--order-host", settings.service_url("order"),
               "--users", str(users), "--spawn-rate", str(users), "--think-min", "0.2", "--think-max", "0.8",
               "--retries", str(retries), "--events-file", str(events), "--csv", str(prefix)]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=cluster.stack.env, stdout=out, stderr=subprocess.STDOUT)
    run = LocustRun(process, prefix, log, events)
    try:
        eventually(lambda: Path(f"{prefix}_stats.csv").exists() and run.totals()[0] > 0, 120,
                   what="Locust's first requests")
        yield run
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def wait_for(what: str, probe, timeout_s: float, interval_s: float = 0.5):
    return eventually(probe, timeout_s, interval_s=interval_s, what=what)


def elapsed_since(start: float) -> float:
    return round(time.monotonic() - start, 1)

"""kubectl and ctr, as this cluster's tools: one place that knows their flags and environment."""

from __future__ import annotations

import json
import subprocess
from typing import Any, Iterable

import yaml

from faultline_ops.cluster.layout import ClusterSettings


def kubectl(cluster: ClusterSettings, *args: str, kubeconfig: str | None = None, check: bool = True,
            stdin: str | None = None, timeout: float | None = 120) -> subprocess.CompletedProcess:
    command = [cluster.binary("kubectl"), f"--kubeconfig={kubeconfig or cluster.kubeconfig}", *args]
    return subprocess.run(command, check=check, capture_output=True, text=True, input=stdin, timeout=timeout,
                          env=cluster.tool_env())


def kubectl_json(cluster: ClusterSettings, *args: str) -> Any:
    return json.loads(kubectl(cluster, *args, "-o", "json").stdout)


def apply(cluster: ClusterSettings, objects: Iterable[dict[str, Any]], kubeconfig: str | None = None) -> None:
    text = yaml.safe_dump_all(list(objects), sort_keys=False)
    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "--field-manager=faultline-cluster", "-f", "-",
            kubeconfig=kubeconfig, stdin=text)


def api_ready(cluster: ClusterSettings) -> bool:
    try:
        return kubectl(cluster, "get", "--raw", "/readyz", check=False, timeout=10).stdout.strip() == "ok"
    except subprocess.TimeoutExpired:
        return False


def ctr(cluster: ClusterSettings, *args: str, check: bool = True, stdin: bytes | None = None,
        timeout: float | None = 300) -> subprocess.CompletedProcess:
    command = ["ctr", "--address", str(cluster.containerd_socket), "--namespace", "k8s.io", *args]
    return subprocess.run(command, check=check, capture_output=True, input=stdin, timeout=timeout)


def containerd_answers(cluster: ClusterSettings) -> bool:
    try:
        return ctr(cluster, "version", check=False, timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def images(cluster: ClusterSettings) -> set[str]:
    listed = ctr(cluster, "images", "list", "--quiet").stdout.decode().split()
    return set(listed)

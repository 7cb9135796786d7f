"""`faultline cluster deploy` and `forward`: the chart a laptop user installs, installed here the same way.

Which images to import is read from the chart itself (what `helm template` renders), so a component added to
the chart is imported without a list to update; which ports to forward is read from skaffold.yaml's portForward,
as `skaffold run --port-forward` reads it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any, Iterable

import yaml

from faultline_ops.cluster import images, kube
from faultline_ops.cluster.layout import KUBERNETES_VERSION, ClusterSettings
from faultline_ops.errors import StackError
from faultline_ops.render.program import Program

RELEASE = "faultline"
NAMESPACE = "faultline"
# What skaffold.yaml sets for every `skaffold run`: the chart's NodePorts, as kind maps them to localhost.
HELM_SET = ("nodePorts.enabled=true",)


def helm(cluster: ClusterSettings, *args: str, timeout: float = 1200, check: bool = True
         ) -> subprocess.CompletedProcess:
    command = [str(cluster.tools_bin / "helm"), "--kubeconfig", str(cluster.kubeconfig), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=cluster.tool_env())
    if check and result.returncode != 0:
        raise StackError(f"helm {' '.join(args[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def chart_path(cluster: ClusterSettings) -> Path:
    return cluster.repo / "charts" / "faultline"


def _set_args() -> list[str]:
    return [arg for value in HELM_SET for arg in ("--set", value)]


def rendered_objects(cluster: ClusterSettings) -> list[dict[str, Any]]:
    text = helm(cluster, "template", RELEASE, str(chart_path(cluster)), "--namespace", NAMESPACE,
                "--kube-version", KUBERNETES_VERSION, *_set_args()).stdout
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _containers(pod_spec: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield from pod_spec.get("initContainers") or []
    yield from pod_spec.get("containers") or []


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return spec
    if obj.get("kind") == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return (spec.get("template") or {}).get("spec")


def chart_images(objects: list[dict[str, Any]]) -> list[str]:
    found = {c["image"] for obj in objects if (spec := pod_spec(obj)) for c in _containers(spec)}
    return sorted(normalize(image) for image in found)


def workloads_using(objects: list[dict[str, Any]], names: list[str]) -> list[tuple[str, str]]:
    """(kind, name) of every Deployment and StatefulSet whose pods run one of the images `names`."""
    wanted = set(names)
    return [(obj["kind"].lower(), obj["metadata"]["name"]) for obj in objects
            if obj.get("kind") in ("Deployment", "StatefulSet") and (spec := pod_spec(obj))
            and any(normalize(c["image"]) in wanted for c in _containers(spec))]


def restart_workloads(cluster: ClusterSettings, workloads: list[tuple[str, str]]) -> None:
    """A rebuilt image under the same tag changes no pod spec, so helm leaves the pods on the old build: roll
    them, as skaffold's digest tags would."""
    for kind, name in workloads:
        kube.kubectl(cluster, "-n", NAMESPACE, "rollout", "restart", f"{kind}/{name}")
    for kind, name in workloads:
        kube.kubectl(cluster, "-n", NAMESPACE, "rollout", "status", f"{kind}/{name}", "--timeout=600s", timeout=660)
        print(f"cluster: {kind}/{name} restarted on the new build", flush=True)


def normalize(image: str) -> str:
    """The name containerd resolves a pod's image to: docker.io/ for no registry, library/ for one component."""
    first, _, rest = image.partition("/")
    if not rest:
        return f"docker.io/library/{image}"
    if "." in first or ":" in first or first == "localhost":
        return image
    return f"docker.io/{image}"


def ensure_namespace(cluster: ClusterSettings) -> None:
    """The namespace as k8s/manifests defines it: held to the restricted Pod Security Standard, so the API server
    rejects any pod that breaks it (helm's --create-namespace would make it without the label)."""
    namespace = yaml.safe_load((cluster.repo / "k8s" / "manifests" / "namespace.yaml").read_text())
    kube.apply(cluster, [namespace])


def deploy(cluster: ClusterSettings) -> None:
    start = time.monotonic()
    if not kube.api_ready(cluster):
        raise StackError("the cluster is not up: run make cluster-up")
    objects = rendered_objects(cluster)
    installed = helm(cluster, "status", RELEASE, "--namespace", NAMESPACE, check=False).returncode == 0
    rebuilt = images.import_missing(cluster, chart_images(objects))
    ensure_namespace(cluster)
    print(f"cluster: helm upgrade --install {RELEASE} charts/faultline (namespace {NAMESPACE}); waiting for every "
          f"pod to be Ready", flush=True)
    helm(cluster, "upgrade", "--install", RELEASE, str(chart_path(cluster)), "--namespace", NAMESPACE,
         *_set_args(), "--wait", "--wait-for-jobs", "--timeout", "15m")
    if installed and rebuilt:
        restart_workloads(cluster, workloads_using(objects, rebuilt))
    print(f"cluster: deployed in {time.monotonic() - start:.1f} s", flush=True)
    print(urls(cluster))


def node_ports(cluster: ClusterSettings) -> dict[str, int]:
    objects = [o for o in rendered_objects(cluster) if o.get("kind") == "Service"]
    ports = {}
    for service in objects:
        if service["spec"].get("type") != "NodePort":
            continue
        for port in service["spec"]["ports"]:
            if port.get("nodePort"):
                ports[service["metadata"]["name"].removeprefix(f"{RELEASE}-")] = int(port["nodePort"])
    return ports


def urls(cluster: ClusterSettings) -> str:
    lines = [f"  {name:<10} http://127.0.0.1:{port}" for name, port in sorted(node_ports(cluster).items())]
    return "NodePorts (as kind maps them to localhost):\n" + "\n".join(lines) + \
        "\nFront ports 8081-8084 and the UIs on their local ports: make cluster-forward\n"


# --- forwarding ---------------------------------------------------------------------------------------------

def skaffold_forwards(cluster: ClusterSettings) -> list[dict[str, Any]]:
    config = yaml.safe_load((cluster.repo / "skaffold.yaml").read_text())
    return list(config.get("portForward") or [])


def forward_programs(cluster: ClusterSettings) -> list[Program]:
    """One `kubectl port-forward` per skaffold portForward entry, restarted by supervisord when its pod goes."""
    programs = []
    for entry in skaffold_forwards(cluster):
        name = f"forward-{entry['resourceName'].removeprefix(RELEASE + '-')}"
        command = " ".join([
            cluster.binary("kubectl"), f"--kubeconfig={cluster.kubeconfig}", "-n", entry["namespace"],
            "port-forward", "--address=127.0.0.1", f"{entry['resourceType']}/{entry['resourceName']}",
            f"{entry['localPort']}:{entry['port']}"])
        programs.append(Program(name=name, command=command, directory=cluster.home, port=int(entry["localPort"]),
                                probe="tcp", group="forwards", priority=200))
    return programs

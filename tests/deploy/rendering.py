"""Rendering helpers for tests/deploy: `helm template` the chart once per values case and walk the objects.

`helm` comes from the bootstrap cache ($FAULTLINE_CACHE/bin, installed by `make bootstrap`) or PATH. Every
`charts/faultline/ci/*-values.yaml` is rendered once per session and shared by the tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from faultline_ops import services

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "faultline"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
CASES = [path.name.removesuffix("-values.yaml") for path in CI_VALUES]
NAMESPACE = "faultline"
RELEASE = "faultline"
# Rendered against the newest Kubernetes the objects are validated for (see test_schemas.py).
KUBE_VERSION = "1.34.0"
SERVICES = services.APIS
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob", "DaemonSet")


def helm_binary() -> str:
    cached = Path(os.environ.get("FAULTLINE_CACHE") or Path.home() / ".cache" / "faultline") / "bin" / "helm"
    found = str(cached) if cached.exists() else shutil.which("helm")
    if not found:
        pytest.fail("helm is missing: run `make bootstrap` (it installs helm into $FAULTLINE_CACHE/bin)")
    return found


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([helm_binary(), *args], capture_output=True, text=True, timeout=120)


@lru_cache(maxsize=None)
def render_text(case: str | None = None, *set_args: str) -> str:
    """`helm template` of the chart with ci/<case>-values.yaml (None: the defaults) and --set arguments."""
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    if case:
        args += ["-f", str(CHART / "ci" / f"{case}-values.yaml")]
    for item in set_args:
        args += ["--set", item]
    result = helm(*args)
    if result.returncode != 0:
        pytest.fail(f"helm template ({case}, {set_args}) failed:\n{result.stderr}")
    return result.stdout


def load_objects(text: str) -> list[dict[str, Any]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc]


@lru_cache(maxsize=None)
def render(case: str | None = None, *set_args: str) -> list[dict[str, Any]]:
    """The rendered objects, parsed once and shared: tests read them, never change them."""
    return load_objects(render_text(case, *set_args))


@dataclass(frozen=True)
class Container:
    workload: dict[str, Any]
    spec: dict[str, Any]
    init: bool

    @property
    def where(self) -> str:
        kind_name = f"{self.workload['kind']}/{self.workload['metadata']['name']}"
        return f"{kind_name} {'init ' if self.init else ''}container {self.spec['name']}"


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["metadata"].get("labels", {})


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] in WORKLOAD_KINDS]


def containers(objects: list[dict[str, Any]]) -> Iterator[Container]:
    for workload in workloads(objects):
        spec = pod_spec(workload)
        for container in spec.get("initContainers", []):
            yield Container(workload, container, True)
        for container in spec["containers"]:
            yield Container(workload, container, False)


def component(obj: dict[str, Any]) -> str:
    return obj["metadata"]["labels"]["app.kubernetes.io/component"]


def service_deployments(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The Deployments of the four services, by service name."""
    return {component(obj): obj for obj in objects
            if obj["kind"] == "Deployment" and component(obj) in SERVICES}

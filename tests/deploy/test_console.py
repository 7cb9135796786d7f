"""The control room in the chart: its RBAC is exactly what the k8s chaos backend does, in the release's namespace;
its environment is what its code reads; its image runs what the local stack runs."""
from __future__ import annotations

import json
import re
import shlex

from deploy.rendering import ROOT, component, pod_spec, render
from deploy.test_env_contract import reads_in

# The client calls of faultline_ops/chaos/backends/k8s.py, as (API group, resource, verb).
BACKEND_CALLS = {
    ("", "pods", "list"), ("", "pods", "get"), ("", "pods", "delete"),           # list_namespaced_pod, kill
    ("", "pods/proxy", "create"), ("", "pods/proxy", "delete"),                  # POST/DELETE /admin/faults
    ("apps", "deployments/scale", "get"), ("apps", "deployments/scale", "patch"),
    ("apps", "statefulsets/scale", "get"), ("apps", "statefulsets/scale", "patch"),
    ("networking.k8s.io", "networkpolicies", "list"), ("networking.k8s.io", "networkpolicies", "create"),
    ("networking.k8s.io", "networkpolicies", "patch"), ("networking.k8s.io", "networkpolicies", "delete"),
}


def console_objects(*set_args: str) -> dict[str, dict]:
    return {obj["kind"]: obj for obj in render(None, *set_args)
            if obj["metadata"]["name"] == "faultline-console"}


def test_the_console_role_grants_exactly_what_the_k8s_backend_calls_in_its_namespace():
    objects = render("default")
    assert not [o for o in objects if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    mine = console_objects()
    granted = {(group, resource, verb) for rule in mine["Role"]["rules"] for group in rule["apiGroups"]
               for resource in rule["resources"] for verb in rule["verbs"]}
    assert granted == BACKEND_CALLS
    binding = mine["RoleBinding"]
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "faultline-console"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "faultline-console", "namespace": "faultline"}]


def test_the_console_is_off_with_its_account_role_and_policies_when_disabled():
    assert not [o for o in render(None, "console.enabled=false")
                if o["metadata"]["name"].startswith("faultline-console")]


def test_the_console_is_one_pod_on_port_8090_with_a_nodeport_when_asked():
    mine = console_objects("nodePorts.enabled=true")
    assert mine["Deployment"]["spec"]["replicas"] == 1
    [port] = mine["Service"]["spec"]["ports"]
    assert (mine["Service"]["spec"]["type"], port["port"], port["nodePort"]) == ("NodePort", 8090, 30090)


def test_every_variable_the_chart_sets_for_the_console_is_read_and_every_required_one_is_set():
    env = {e["name"]: e for e in pod_spec(console_objects()["Deployment"])["containers"][0]["env"]}
    files = [*(ROOT / "services" / "console" / "console_service").rglob("*.py"),
             *(ROOT / "services" / "kit" / "faultline_kit").rglob("*.py"),
             *(ROOT / "infra" / "ops" / "faultline_ops").rglob("*.py")]
    reads = {read.name: read for path in sorted(files) for read in reads_in(path)}
    assert set(env) - set(reads) == set()
    required = {name for name, read in reads.items() if not read.has_default
                and str(read.where).startswith("services/console")}
    assert required <= set(env)
    assert env["FAULTLINE_CONSOLE_BACKEND"]["value"] == "k8s"
    assert env["FAULTLINE_K8S_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"


def test_the_console_image_runs_what_the_local_stack_runs():
    from faultline_ops.render import console
    from faultline_ops.settings import Settings

    dockerfile = (ROOT / "services" / "console" / "Dockerfile").read_text()
    assert re.findall(r"^FROM (\S+)", dockerfile, re.M) == ["python:3.11-slim-bookworm"] * 2
    assert re.search(r"^USER [1-9][0-9]*:[0-9]+$", dockerfile, re.M)
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile, re.M).group(1))
    local = shlex.split(console.program(Settings(repo=ROOT, home=ROOT / ".run" / "x", cache=ROOT)).command)
    assert entrypoint == ["gunicorn", *local[1:]]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".run", ".git", "**/__pycache__"} <= set(ignored)


def test_the_console_pod_is_never_a_chaos_target():
    labels = pod_spec(console_objects()["Deployment"])
    template = console_objects()["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert "faultline.dev/chaos" not in template and labels["serviceAccountName"] == "faultline-console"

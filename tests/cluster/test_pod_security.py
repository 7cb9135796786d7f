"""Every pod of the release runs under the restricted Pod Security Standard, enforced by the namespace's label:
the API server itself refuses a pod that breaks it."""
from __future__ import annotations

import json

from faultline_ops import services
from support.cluster import NAMESPACE, Cluster, unique


def test_the_namespace_enforces_the_restricted_standard(cluster: Cluster):
    labels = json.loads(cluster.kubectl("get", "namespace", NAMESPACE, "-o", "json").stdout)["metadata"]["labels"]
    assert labels.get("pod-security.kubernetes.io/enforce") == "restricted"


def test_every_pod_of_the_release_was_admitted_and_runs(cluster: Cluster):
    pods = json.loads(cluster.kubectl("get", "pods", "-o", "json").stdout)["items"]
    running = [p["metadata"]["name"] for p in pods if p["status"]["phase"] == "Running"]
    assert {p["metadata"]["labels"].get("app.kubernetes.io/component") for p in pods} >= \
        {*services.APIS, "kafka", "redis", "mailpit"}
    assert len(running) >= 8, [(p["metadata"]["name"], p["status"]["phase"]) for p in pods]


def test_the_api_server_rejects_a_pod_that_breaks_the_standard(cluster: Cluster):
    image = cluster.pods("cart")[0]["spec"]["containers"][0]["image"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": unique("root-pod")},
           "spec": {"containers": [{"name": "c", "image": image, "securityContext": {"privileged": True}}]}}
    result = cluster.kubectl("apply", "--dry-run=server", "-f", "-", stdin=json.dumps(pod), check=False)
    assert result.returncode != 0
    assert "violates PodSecurity" in result.stderr and "restricted" in result.stderr, result.stderr

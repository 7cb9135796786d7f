"""NetworkPolicies allow every flow Faultline uses and no other.

A small evaluator of NetworkPolicy v1 semantics over the rendered pods: a connection from pod A to port P of pod
B passes when some policy selecting A allows it in egress (or none selects A for egress) and some policy
selecting B allows it in ingress (or none selects B for ingress). Every pair of the release's pods and every
container port is checked against the flows below; DNS (kube-dns in kube-system) separately.
"""
from __future__ import annotations

from typing import Any

import pytest

from deploy.rendering import NAMESPACE, SERVICES, component, pod_labels, pod_spec, render, workloads
from deploy.test_policy import selects

# (from component, to component, port): the flows of the default render (laptop profile).
APP_FLOWS = {
    ("cart", "inventory", 8080), ("cart", "order", 8080),
    # cart too: every instance publishes heartbeats and follows membership through Kafka.
    *{(svc, "kafka", 9092) for svc in (*SERVICES, "topics")},
    *{(svc, "redis", 6379) for svc in SERVICES},
    ("email", "mailpit", 1025),
    *{(svc, "otel-collector", 4318) for svc in SERVICES},
    ("otel-collector", "zipkin", 9411),
    ("kafka", "kafka", 9092), ("kafka", "kafka", 9093),
    # The control room reads every service pod and Kafka (heartbeats, topic depths).
    *{("console", svc, 8080) for svc in SERVICES}, ("console", "kafka", 9092),
}
LOCUST_FLOWS = {("locust-worker", "locust", 5557),
                *{("locust-worker", svc, 8080) for svc in ("cart", "order", "inventory")}}
# Prometheus scrapes the Collector's Prometheus exporter; Grafana reads Prometheus (both reached by port-forward).
PROMETHEUS_FLOWS = {("prometheus", "otel-collector", 8889)}
GRAFANA_FLOWS = {("grafana", "prometheus", 9090)}
KUBE_DNS = {"labels": {"k8s-app": "kube-dns"}, "namespace_labels": {"kubernetes.io/metadata.name": "kube-system"}}
OUTSIDE = {"labels": {"app": "somebody-else"}, "namespace_labels": {"kubernetes.io/metadata.name": "elsewhere"}}


def peer_matches(peer: dict[str, Any], labels: dict[str, str], namespace_labels: dict[str, str],
                 same_namespace: bool) -> bool:
    if "ipBlock" in peer:
        return False        # no rule of the chart uses ipBlock; pods are matched by labels only
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif not same_namespace:
        return False
    return selects(peer.get("podSelector", {}), labels)


def port_matches(rule: dict[str, Any], port: int, port_names: dict[str, int], protocol: str) -> bool:
    if not rule.get("ports"):
        return True
    for allowed in rule["ports"]:
        if allowed.get("protocol", "TCP") != protocol:
            continue
        value = allowed.get("port")
        if value is None or value == port or port_names.get(value) == port:
            return True
    return False


def direction_allows(policies, direction: str, pod: dict, other: dict, port: int, port_names, protocol) -> bool:
    key, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    if pod["namespace_labels"] != {"kubernetes.io/metadata.name": NAMESPACE}:
        return True          # the chart's policies live in its namespace and select only pods there
    selecting = [p for p in policies if direction in p["spec"].get("policyTypes", ["Ingress"])
                 and selects(p["spec"]["podSelector"], pod["labels"])]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(peer_matches(peer, other["labels"], other["namespace_labels"],
                                                    other["namespace_labels"] == pod["namespace_labels"])
                                       for peer in peers)
            if peer_ok and port_matches(rule, port, port_names, protocol):
                return True
    return False


def allowed(policies, source: dict, target: dict, port: int, protocol: str = "TCP") -> bool:
    return (direction_allows(policies, "Egress", source, target, port, target.get("port_names", {}), protocol)
            and direction_allows(policies, "Ingress", target, source, port, target.get("port_names", {}), protocol))


def pods(objects) -> dict[str, dict[str, Any]]:
    namespace_labels = {"kubernetes.io/metadata.name": NAMESPACE}
    found = {}
    for workload in workloads(objects):
        spec = pod_spec(workload)
        ports = [p for c in spec["containers"] for p in c.get("ports", [])]
        found[component(workload)] = {
            "labels": pod_labels(workload), "namespace_labels": namespace_labels,
            "ports": sorted({p["containerPort"] for p in ports}),
            "port_names": {p["name"]: p["containerPort"] for p in ports if "name" in p},
        }
    return found


def allowed_flows(objects) -> set[tuple[str, str, int]]:
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    everyone = pods(objects)
    return {(src, dst, port) for src, source in everyone.items() for dst, target in everyone.items()
            for port in target["ports"] if allowed(policies, source, target, port)}


def test_default_render_allows_exactly_the_app_flows():
    assert allowed_flows(render("default")) == APP_FLOWS


def test_locust_flows_are_added_and_nothing_else():
    objects = render(None, "locust.enabled=true")
    assert allowed_flows(objects) == APP_FLOWS | LOCUST_FLOWS


def test_observability_flows_are_added_and_nothing_else():
    assert allowed_flows(render("observability")) == APP_FLOWS | PROMETHEUS_FLOWS | GRAFANA_FLOWS


def test_prometheus_alone_only_scrapes_the_collector():
    assert allowed_flows(render(None, "prometheus.enabled=true")) == APP_FLOWS | PROMETHEUS_FLOWS


def test_grafana_with_an_external_prometheus_reaches_only_its_port():
    objects = render(None, "grafana.enabled=true", "prometheus.external.url=http://prometheus.monitoring:9091")
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    grafana = pods(objects)["grafana"]
    assert allowed_flows(objects) == APP_FLOWS
    assert direction_allows(policies, "Egress", grafana, OUTSIDE, 9091, {}, "TCP")
    assert not direction_allows(policies, "Egress", grafana, OUTSIDE, 9090, {}, "TCP")


def test_nodeports_open_only_their_api_and_ui_ports_to_the_outside():
    objects = render(None, "nodePorts.enabled=true", "locust.enabled=true", "prometheus.enabled=true",
                     "grafana.enabled=true")
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    everyone = pods(objects)
    reachable = {(dst, port) for dst, target in everyone.items() for port in target["ports"]
                 if allowed(policies, OUTSIDE, target, port)}
    assert reachable == {("order", 8080), ("cart", 8080), ("inventory", 8080), ("email", 8080),
                         ("mailpit", 8025), ("zipkin", 9411), ("locust", 8089), ("console", 8090)}


@pytest.mark.parametrize("case", ["default", "observability"])
def test_nothing_is_reachable_from_outside_by_default(case):
    objects = render(case)
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    reachable = [(dst, port) for dst, target in pods(objects).items() for port in target["ports"]
                 if allowed(policies, OUTSIDE, target, port)]
    assert reachable == []


@pytest.mark.parametrize("case", ["default", "observability"])
@pytest.mark.parametrize("protocol", ["UDP", "TCP"])
def test_every_pod_resolves_names(protocol, case):
    objects = render(case)
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    for name, pod in pods(objects).items():
        assert allowed(policies, pod, KUBE_DNS | {"port_names": {}}, 53, protocol), name
    # ... and reaches nothing else outside the namespace (the console: only the API server's ports, below).
    for name, pod in pods(objects).items():
        if name != "console":
            assert not direction_allows(policies, "Egress", pod, OUTSIDE, 443, {}, "TCP"), name
        assert not direction_allows(policies, "Egress", pod, OUTSIDE, 8080, {}, "TCP"), name


def test_without_network_policies_nothing_is_rendered():
    assert not [obj for obj in render("dev") if obj["kind"] == "NetworkPolicy"]


def test_the_console_reaches_the_api_server_on_its_ports_only():
    objects = render("default")
    policies = [obj for obj in objects if obj["kind"] == "NetworkPolicy"]
    console = pods(objects)["console"]
    api_server = {"labels": {}, "namespace_labels": {"kubernetes.io/metadata.name": "default"}}
    assert all(direction_allows(policies, "Egress", console, api_server, port, {}, "TCP") for port in (443, 6443))
    assert not direction_allows(policies, "Egress", console, api_server, 8080, {}, "TCP")
    others = {name: pod for name, pod in pods(objects).items() if name != "console"}
    assert not any(direction_allows(policies, "Egress", pod, api_server, 443, {}, "TCP") for pod in others.values())

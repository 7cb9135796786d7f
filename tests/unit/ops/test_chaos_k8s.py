"""The k8s backend's decisions with the kubernetes client's objects faked: which pods, which policies, what patch.

No cluster was available when it was written; these tests pin what it would ask the API server to do."""
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from kubernetes.client import (V1Container, V1ContainerPort, V1LabelSelector, V1LabelSelectorRequirement,
                               V1NetworkPolicy, V1NetworkPolicyIngressRule, V1NetworkPolicyPeer,
                               V1NetworkPolicySpec, V1ObjectMeta, V1Pod, V1PodCondition, V1PodSpec, V1PodStatus)

from faultline_ops.chaos import experiment
from faultline_ops.chaos.backends.k8s import (KubernetesBackend, component_labels, http_port,
                                              ingress_without_client, partition_policy, pick_pods, selects)
from faultline_ops.errors import StackError
from faultline_ops.settings import Settings

RELEASE = "faultline"


def pod(name: str, component: str, phase: str = "Running", ready: bool = True, deleting: bool = False) -> V1Pod:
    return V1Pod(
        metadata=V1ObjectMeta(name=name, labels=component_labels(RELEASE, component),
                              deletion_timestamp="2026-01-01T00:00:00Z" if deleting else None),
        spec=V1PodSpec(containers=[V1Container(name="app", ports=[V1ContainerPort(name="http",
                                                                                  container_port=8080)])]),
        status=V1PodStatus(phase=phase, conditions=[V1PodCondition(type="Ready", status="True" if ready else "False")]))


def allow_from(component: str) -> V1NetworkPolicyPeer:
    return V1NetworkPolicyPeer(pod_selector=V1LabelSelector(match_labels=component_labels(RELEASE, component)))


def policy(name: str, target: str, *callers: str, labels: dict | None = None) -> V1NetworkPolicy:
    return V1NetworkPolicy(
        metadata=V1ObjectMeta(name=name, labels=labels or {}),
        spec=V1NetworkPolicySpec(pod_selector=V1LabelSelector(match_labels=component_labels(RELEASE, target)),
                                 ingress=[V1NetworkPolicyIngressRule(_from=[allow_from(c) for c in callers])]))


def step(action: str, target: dict, **extra) -> experiment.Step:
    doc = {"name": "x", "title": "X", "steady_state": {"checks": {"checkout_success": {"min": 1}}},
           "method": [{"action": action, "target": target, **extra}]}
    return experiment.parse(doc).method[0]


def test_selectors_follow_match_labels_and_match_expressions():
    labels = component_labels(RELEASE, "cart")
    assert selects(V1LabelSelector(), labels)
    assert selects(V1LabelSelector(match_labels={"app.kubernetes.io/component": "cart"}), labels)
    not_cart = V1LabelSelector(match_expressions=[V1LabelSelectorRequirement(
        key="app.kubernetes.io/component", operator="NotIn", values=["cart"])])
    assert not selects(not_cart, labels)
    assert selects(not_cart, component_labels(RELEASE, "order"))
    assert not selects(None, labels)


def test_pods_are_picked_by_index_among_running_ones_sorted_by_name():
    pods = [pod("order-b", "order"), pod("order-a", "order"), pod("order-c", "order", phase="Pending"),
            pod("order-0", "order", deleting=True)]
    assert [p.metadata.name for p in pick_pods(pods, None)] == ["order-a", "order-b"]
    assert [p.metadata.name for p in pick_pods(pods, 2)] == ["order-b"]
    assert [p.metadata.name for p in pick_pods(pods, "leader", leader="order-b")] == ["order-b"]
    with pytest.raises(StackError):
        pick_pods(pods, 3)


def test_a_partition_strips_only_the_clients_peers_from_a_policy_admitting_it():
    rules = ingress_without_client(policy("inventory-in", "inventory", "cart", "order"),
                                   component_labels(RELEASE, "cart"))
    assert rules == [{"from": [{"podSelector": {"matchLabels": component_labels(RELEASE, "order")}}]}]
    assert ingress_without_client(policy("inventory-in", "inventory", "order"),
                                  component_labels(RELEASE, "cart")) is None


def test_a_rule_left_without_peers_is_dropped_not_left_open_to_everyone():
    assert ingress_without_client(policy("inventory-in", "inventory", "cart"), component_labels(RELEASE, "cart")) == []


def test_the_partition_policy_isolates_the_downstream_from_the_client_only():
    doc = partition_policy("shop", RELEASE, "cart", "inventory")
    assert doc["spec"]["podSelector"] == {"matchLabels": component_labels(RELEASE, "inventory")}
    same_namespace, other_namespaces = doc["spec"]["ingress"][0]["from"]
    assert same_namespace["podSelector"]["matchExpressions"][0] == {
        "key": "app.kubernetes.io/component", "operator": "NotIn", "values": ["cart"]}
    assert other_namespaces["namespaceSelector"]["matchExpressions"][0]["values"] == ["shop"]
    assert doc["metadata"]["labels"]["faultline.io/chaos"] == "partition"


def test_the_pod_proxy_goes_to_the_container_port_named_http():
    assert http_port(pod("cart-a", "cart")) == 8080


class FakeApi:
    """Records calls; answers list calls from `pods` and `policies`."""

    def __init__(self, pods=(), policies=(), replicas=2):
        self.calls: list[tuple] = []
        self.pods = list(pods)
        self.policies = list(policies)
        self.replicas = replicas

    def list_namespaced_pod(self, namespace, label_selector):
        component = dict(kv.split("=") for kv in label_selector.split(","))["app.kubernetes.io/component"]
        return NS(items=[p for p in self.pods if p.metadata.labels["app.kubernetes.io/component"] == component])

    def list_namespaced_network_policy(self, namespace, label_selector=None):
        items = [p for p in self.policies if not label_selector or label_selector in (p.metadata.labels or {})]
        return NS(items=items)

    def __getattr__(self, name):
        if name.startswith("read_namespaced"):
            return lambda *args: NS(spec=NS(replicas=self.replicas))
        return lambda *args, **kwargs: self.calls.append((name, args, kwargs))


def backend(api: FakeApi) -> KubernetesBackend:
    settings = Settings(repo=Path("/repo"), home=Path("/state"), cache=Path("/cache"))
    return KubernetesBackend(settings, api, api, api, "shop", RELEASE, sleep=lambda s: None)


def test_kill_deletes_the_pod_with_no_grace_and_lifts_once_a_replacement_runs():
    api = FakeApi(pods=[pod("cart-a", "cart"), pod("cart-b", "cart")])
    fault = backend(api).apply(step("kill", {"service": "cart", "replica": 1}))
    assert api.calls == [("delete_namespaced_pod", ("cart-a", "shop"), {"grace_period_seconds": 0})]
    api.pods = [pod("cart-b", "cart"), pod("cart-c", "cart")]
    fault.lift_once()
    assert fault.ready()


def test_stop_scales_the_deployment_to_zero_and_back_to_its_count():
    api = FakeApi(replicas=3)
    fault = backend(api).apply(step("stop", {"service": "inventory"}, duration_s=5))
    fault.lift_once()
    assert [(c[0], c[1]) for c in api.calls] == [
        ("patch_namespaced_deployment_scale", ("faultline-inventory", "shop", {"spec": {"replicas": 0}})),
        ("patch_namespaced_deployment_scale", ("faultline-inventory", "shop", {"spec": {"replicas": 3}}))]


def test_stopping_kafka_scales_its_statefulset():
    api = FakeApi(replicas=1)
    backend(api).apply(step("stop", {"program": "kafka"}, duration_s=5))
    assert api.calls[0][0] == "patch_namespaced_stateful_set_scale" and api.calls[0][1][0] == "faultline-kafka"


def test_a_cut_creates_the_partition_policy_patches_admitting_policies_and_restores_them():
    admitting = policy("faultline-inventory", "inventory", "cart", "order")
    api = FakeApi(policies=[admitting, policy("faultline-order", "order", "cart")])
    fault = backend(api).apply(step("proxy", {"route": "cart-to-inventory"}, duration_s=5))
    names = [c[0] for c in api.calls]
    assert names == ["create_namespaced_network_policy", "patch_namespaced_network_policy"]
    assert api.calls[1][1][0] == "faultline-inventory"
    api.calls.clear()
    api.policies.append(V1NetworkPolicy(metadata=V1ObjectMeta(name="faultline-chaos-cut-cart-to-inventory",
                                                              labels={"faultline.io/chaos": "partition"})))
    fault.lift_once()
    assert [c[0] for c in api.calls] == ["delete_namespaced_network_policy", "patch_namespaced_network_policy"]
    restored = api.calls[1][1][2]["spec"]["ingress"][0]["from"]
    assert len(restored) == 2


def test_toxics_have_no_kubernetes_equivalent_and_are_refused():
    with pytest.raises(StackError, match="cannot add a timeout toxic"):
        backend(FakeApi()).apply(step("proxy", {"route": "cart-to-order"}, duration_s=5,
                                      params={"mode": "timeout"}))


def test_inside_a_pod_the_backend_uses_its_service_account_and_the_namespace_it_is_given(monkeypatch):
    from kubernetes import config

    loaded = []
    monkeypatch.setattr(config, "load_incluster_config", lambda: loaded.append("in-cluster"))
    monkeypatch.setattr(config, "load_kube_config", lambda: loaded.append("kubeconfig"))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("FAULTLINE_K8S_NAMESPACE", "shop")
    monkeypatch.setenv("FAULTLINE_K8S_RELEASE", "demo")
    backend = KubernetesBackend.from_kube_config(Settings(repo=Path("/r"), home=Path("/h"), cache=Path("/c")))
    assert loaded == ["in-cluster"]
    assert (backend.namespace, backend.release) == ("shop", "demo")


def test_cutting_one_kafka_pod_off_from_its_peers_is_refused_with_what_to_run_instead():
    with pytest.raises(StackError, match="partition-broker on the local backend"):
        backend(FakeApi()).apply(step("isolate", {"program": "kafka", "node": 2}, duration_s=5))

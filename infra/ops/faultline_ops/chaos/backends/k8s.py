"""The Kubernetes backend: the same experiments against the current kube context, with the official client.

- kill: delete the pod(s) with a zero grace period; the Deployment's ReplicaSet creates a replacement, as
  supervisord restarts a killed program locally. Lifted once a new pod runs.
- stop: scale the Deployment (a service) or StatefulSet (kafka, redis) to 0 and back to its replica count.
- faults: POST/DELETE /admin/faults on every pod of the service, through the API server's pod proxy.
- proxy, mode cut: a NetworkPolicy partition. NetworkPolicies only ever allow, so cutting cart off from inventory
  means (1) a policy isolating inventory's pods for ingress from every pod except cart's, and (2) while the cut
  lasts, removing cart from the peers of any existing policy that lets it into inventory (restored after). Only
  enforced when the cluster's network plugin enforces NetworkPolicy (kind's default kindnet does, from v0.24).
  Timeout and latency toxics have no Kubernetes equivalent here and are refused.

The load and the readiness of each service's front still go through `Settings.service_url` (loopback): point the
FAULTLINE_*_PORT variables at the chart's NodePorts (nodePorts.enabled: balanced over the ready pods, so a deleted
pod costs no request), or forward them with `kubectl port-forward svc/<release>-<service> <front port>:<port>`
(pinned to one pod: a kill breaks it).

Its decisions are unit-tested with the client's objects faked; tests/cluster runs kill-replica, kill-kafka and
kill-redis with it against the real single-node cluster of `make cluster-up`.
"""
from __future__ import annotations

import copy
import json
import os
import time
from typing import Any, Iterable, Mapping

from ...errors import StackError
from ...settings import SERVICES, Settings
from ..experiment import Step, Target
from . import ActiveFault

COMPONENT = "app.kubernetes.io/component"
INSTANCE = "app.kubernetes.io/instance"
CHAOS_LABEL = "faultline.io/chaos"
ORIGINAL_ANNOTATION = "faultline.io/chaos-original-ingress"
RESTART_DEADLINE_S = 120.0


# --- pure decisions (unit-tested) ---------------------------------------------------------------------------------
def _get(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute of a client model or key of a plain dict (policies read back from JSON)."""
    if isinstance(obj, Mapping):
        camel = name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:])
        return obj.get(name, obj.get(camel, default))
    return getattr(obj, name, default)


def selects(selector: Any, labels: Mapping[str, str]) -> bool:
    """Does a LabelSelector (matchLabels and matchExpressions) select a pod with `labels`? None selects nothing;
    an empty selector selects everything."""
    if selector is None:
        return False
    for key, value in (_get(selector, "match_labels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in _get(selector, "match_expressions") or []:
        key, operator = _get(expression, "key"), _get(expression, "operator")
        values = set(_get(expression, "values") or [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def component_labels(release: str, component: str) -> dict[str, str]:
    return {INSTANCE: release, COMPONENT: component}


def peers(rule: Any) -> list | None:
    """A rule's `from` list (the client model calls it `_from`); None when the rule names no peers."""
    found = rule.get("from") if isinstance(rule, Mapping) else getattr(rule, "_from", None)
    return list(found) if found else None


def ingress_without_client(policy: Any, client_labels: Mapping[str, str]) -> list[dict] | None:
    """The policy's ingress rules with every pod peer that admits the client removed; None when none admits it.

    A rule left without peers is dropped rather than kept empty: an empty `from` would admit everyone."""
    changed = False
    kept: list[dict] = []
    for rule in _get(_get(policy, "spec"), "ingress") or []:
        listed = peers(rule)
        if listed is None:
            kept.append(rule_dict(rule, None))
            continue
        remaining = [p for p in listed if not (_get(p, "pod_selector") is not None
                                               and _get(p, "namespace_selector") is None
                                               and selects(_get(p, "pod_selector"), client_labels))]
        changed = changed or len(remaining) != len(listed)
        if remaining:
            kept.append(rule_dict(rule, remaining))
    return kept if changed else None


def rule_dict(rule: Any, rule_peers: list | None) -> dict:
    """An ingress rule as the JSON a patch sends, with `rule_peers` as its `from`."""
    from kubernetes.client import ApiClient

    serialize = ApiClient().sanitize_for_serialization
    raw = copy.deepcopy(rule) if isinstance(rule, Mapping) else serialize(rule)
    out = {k: v for k, v in raw.items() if k != "from"}
    if rule_peers is not None:
        out["from"] = [p if isinstance(p, Mapping) else serialize(p) for p in rule_peers]
    return out


def partition_policy(namespace: str, release: str, client: str, downstream: str) -> dict:
    """Isolate the downstream's pods for ingress, admitting every pod of the namespace except the client's, and
    pods of other namespaces (kubelet probes come from the node and are never subject to NetworkPolicy)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{release}-chaos-cut-{client}-to-{downstream}"[:63].rstrip("-"),
                     "labels": {CHAOS_LABEL: "partition", INSTANCE: release}},
        "spec": {
            "podSelector": {"matchLabels": component_labels(release, downstream)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [
                {"podSelector": {"matchExpressions": [{"key": COMPONENT, "operator": "NotIn", "values": [client]}]}},
                {"namespaceSelector": {"matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": [namespace]}]}},
            ]}],
        },
    }


def http_port(pod: Any) -> int:
    """The container port named `http` (the services' API), for the API server's pod proxy."""
    for container in _get(_get(pod, "spec"), "containers") or []:
        for port in _get(container, "ports") or []:
            if _get(port, "name") == "http":
                return int(_get(port, "container_port"))
    raise StackError(f"pod {_get(_get(pod, 'metadata'), 'name')} has no container port named http")


def pick_pods(pods: Iterable[Any], replica: int | str | None, leader: str | None = None) -> list[Any]:
    """Running pods of a component, sorted by name: all of them, the n-th (1-based), or the one named `leader`."""
    running = sorted((p for p in pods if _get(_get(p, "status"), "phase") == "Running"
                      and _get(_get(p, "metadata"), "deletion_timestamp") is None),
                     key=lambda p: _get(_get(p, "metadata"), "name"))
    if replica is None:
        return running
    if replica == "leader":
        named = [p for p in running if _get(_get(p, "metadata"), "name") == leader]
        return named or running[:1]
    if replica > len(running):
        raise StackError(f"only {len(running)} running pods, no replica {replica}")
    return [running[replica - 1]]


def pod_ready(pod: Any) -> bool:
    conditions = _get(_get(pod, "status"), "conditions") or []
    return any(_get(c, "type") == "Ready" and _get(c, "status") == "True" for c in conditions)


# --- the backend -------------------------------------------------------------------------------------------------
class KubernetesBackend:
    name = "k8s"

    def __init__(self, settings: Settings, core, apps, networking, namespace: str, release: str,
                 sleep=time.sleep) -> None:
        self.settings = settings
        self.core, self.apps, self.networking = core, apps, networking
        self.namespace = namespace
        self.release = release
        self._sleep = sleep
        self._scaled: dict[tuple[str, str], int] = {}      # (kind, name) -> replicas before the experiment
        self._patched: dict[str, list] = {}                # policy name -> its ingress before the experiment

    @classmethod
    def from_kube_config(cls, settings: Settings) -> "KubernetesBackend":
        from kubernetes import client, config

        context: dict = {}
        try:
            if os.environ.get("KUBERNETES_SERVICE_HOST"):   # in a pod (the control room): its ServiceAccount
                config.load_incluster_config()
            else:
                config.load_kube_config()
                _, context = config.list_kube_config_contexts()
        except Exception as error:  # noqa: BLE001 - any config problem is the same message to the user
            raise StackError(f"no usable kube context ({error}); `make kind-up` creates one") from None
        namespace = os.environ.get("FAULTLINE_K8S_NAMESPACE") or context.get("context", {}).get("namespace") \
            or "faultline"
        release = os.environ.get("FAULTLINE_K8S_RELEASE") or "faultline"
        return cls(settings, client.CoreV1Api(), client.AppsV1Api(), client.NetworkingV1Api(), namespace, release)

    # --- names ------------------------------------------------------------------------------------------------
    def workload(self, component: str) -> str:
        return f"{self.release}-{component}"

    def selector(self, component: str) -> str:
        return ",".join(f"{k}={v}" for k, v in component_labels(self.release, component).items())

    def pods(self, component: str) -> list:
        return list(self.core.list_namespaced_pod(self.namespace, label_selector=self.selector(component)).items)

    def leader(self) -> str | None:
        """The order pod holding the outbox lease (FAULTLINE_INSTANCE_ID is the pod name), read through order."""
        import requests

        try:
            body = requests.get(f"{self.settings.service_url('order')}/debug/resilience", timeout=3).json()
        except (requests.RequestException, ValueError):
            return None
        return ((body.get("outbox") or {}).get("lease") or {}).get("holder")

    def target_pods(self, target: Target) -> list:
        component = target.service or target.program
        if target.node is not None:
            return self._node_pod(target)
        leader = self.leader() if target.replica == "leader" else None
        return pick_pods(self.pods(component), target.replica, leader)

    # --- readiness --------------------------------------------------------------------------------------------
    def readiness(self) -> tuple[dict[str, bool], dict[str, bool]]:
        services, replicas = {}, {}
        for service in SERVICES:
            pods = pick_pods(self.pods(service), None)
            ready = {_get(_get(p, "metadata"), "name"): pod_ready(p) for p in pods}
            replicas.update(ready)
            services[service] = any(ready.values())
        return services, replicas

    def preflight(self) -> list[str]:
        try:
            services, _ = self.readiness()
        except Exception as error:  # noqa: BLE001
            return [f"cannot list pods in namespace {self.namespace}: {error}"]
        from ... import probes

        problems = [f"{s}: no ready pod (release {self.release}, namespace {self.namespace})"
                    for s, ok in services.items() if not ok]
        problems += [f"{s} is not reachable at {self.settings.service_url(s)}: kubectl port-forward it"
                     for s in SERVICES if not probes.http_ok(self.settings.service_url(s) + "/readyz", timeout=2)]
        return problems

    # --- faults -----------------------------------------------------------------------------------------------
    def apply(self, step: Step) -> ActiveFault:
        handler = {"kill": self._kill, "stop": self._stop, "faults": self._faults, "proxy": self._proxy,
                   "isolate": self._isolate}[step.action]
        return handler(step)

    def _isolate(self, step: Step) -> ActiveFault:
        raise StackError("the k8s backend cannot cut one Kafka pod off from the others yet (it would take "
                         "NetworkPolicies on the brokers' peer traffic, which this cluster does not enforce): "
                         "run partition-broker on the local backend (make up UP_ARGS=--ha)")

    def _kill(self, step: Step) -> ActiveFault:
        component = step.target.service or step.target.program
        victims = [_get(_get(p, "metadata"), "name") for p in self.target_pods(step.target)]
        if not victims:
            raise StackError(f"no running pod of {component} to kill")
        before = {_get(_get(p, "metadata"), "name") for p in self.pods(component)}
        for name in victims:
            self.core.delete_namespaced_pod(name, self.namespace, grace_period_seconds=0)

        def replaced() -> bool:
            fresh = [p for p in pick_pods(self.pods(component), None)
                     if _get(_get(p, "metadata"), "name") not in before]
            return len(fresh) >= len(victims)

        def lift() -> None:
            deadline = time.monotonic() + RESTART_DEADLINE_S
            while not replaced():
                if time.monotonic() > deadline:
                    raise StackError(f"no replacement for {', '.join(victims)} after {RESTART_DEADLINE_S:.0f} s")
                self._sleep(0.5)

        def ready() -> bool:
            pods = pick_pods(self.pods(component), None)
            return bool(pods) and all(pod_ready(p) for p in pods)

        return ActiveFault(f"delete pod {', '.join(victims)} (grace 0)", lift, ready)

    def _node_pod(self, target: Target) -> list:
        """One Kafka or Redis node by number: the StatefulSet's pod of ordinal node - 1. Roles (leader, controller,
        primary) need the brokers' and Sentinels' answers, which only the local backend reads."""
        if not isinstance(target.node, int):
            raise StackError(f"the k8s backend cannot find the {target.node} of {target.program}: use the local "
                             f"backend (make up UP_ARGS=--ha) for this experiment")
        name = f"{self.workload(target.program)}-{target.node - 1}"
        return [p for p in pick_pods(self.pods(target.program), None) if _get(_get(p, "metadata"), "name") == name]

    def _scale_target(self, target: Target) -> tuple[str, str]:
        if target.node is not None:
            raise StackError("the k8s backend cannot keep one chosen StatefulSet pod down (scaling removes the "
                             "highest ordinals); use kill, or the local backend")
        if target.replica is not None:
            raise StackError("stop scales a whole workload; use kill for one replica")
        if target.service:
            return "deployment", self.workload(target.service)
        if target.program in ("kafka", "redis"):
            return "statefulset", self.workload(target.program)
        raise StackError(f"the k8s backend cannot stop {target.program}")

    def _scale(self, kind: str, name: str, replicas: int) -> None:
        body = {"spec": {"replicas": replicas}}
        if kind == "deployment":
            self.apps.patch_namespaced_deployment_scale(name, self.namespace, body)
        else:
            self.apps.patch_namespaced_stateful_set_scale(name, self.namespace, body)

    def _replicas(self, kind: str, name: str) -> int:
        read = (self.apps.read_namespaced_deployment_scale if kind == "deployment"
                else self.apps.read_namespaced_stateful_set_scale)
        return int(_get(_get(read(name, self.namespace), "spec"), "replicas") or 0)

    def _stop(self, step: Step) -> ActiveFault:
        kind, name = self._scale_target(step.target)
        original = self._scaled.setdefault((kind, name), self._replicas(kind, name))
        self._scale(kind, name, 0)

        def lift() -> None:
            self._scale(kind, name, original)

        def ready() -> bool:
            pods = pick_pods(self.pods(step.target.service or step.target.program), None)
            return len(pods) >= original and all(pod_ready(p) for p in pods)

        return ActiveFault(f"scale {kind}/{name} from {original} to 0 for {step.duration_s:g} s", lift, ready)

    def _pod_proxy(self, method: str, pod: Any, path: str, body: dict | None = None) -> int:
        """A request to a pod's HTTP port through the API server (no port-forward to each pod needed). The API
        server authenticates us with the Authorization header and drops it, so the admin token rides in the kit's
        X-Faultline-Admin-Token header."""
        name = _get(_get(pod, "metadata"), "name")
        client = self.core.api_client
        method, url, headers, payload, _ = client.param_serialize(
            method, f"/api/v1/namespaces/{self.namespace}/pods/{name}:{http_port(pod)}/proxy{path}",
            header_params={"X-Faultline-Admin-Token": self.settings.admin_token,
                           "Content-Type": "application/json"},
            body=body, auth_settings=["BearerToken"])
        response = client.call_api(method, url, header_params=headers, body=payload, _request_timeout=10)
        return int(response.status)

    def _faults(self, step: Step) -> ActiveFault:
        pods = self.target_pods(step.target)
        names = [_get(_get(p, "metadata"), "name") for p in pods]
        body = dict(step.params)
        for pod, name in zip(pods, names):
            status = self._pod_proxy("POST", pod, "/admin/faults", body)
            if status != 200:
                raise StackError(f"pod {name} refused the faults {json.dumps(body)}: HTTP {status}")

        def lift() -> None:
            for pod in pods:
                try:
                    self._pod_proxy("DELETE", pod, "/admin/faults")
                except Exception:  # noqa: BLE001 - a pod that is gone has no faults left
                    pass

        return ActiveFault(f"faults {body} on pods {', '.join(names)} for {step.duration_s:g} s", lift,
                           lambda: True)

    def _proxy(self, step: Step) -> ActiveFault:
        mode = step.params.get("mode", "cut")
        if mode != "cut":
            raise StackError(f"the k8s backend partitions with NetworkPolicy and cannot add a {mode} toxic")
        client, _, downstream = step.target.route.partition("-to-")
        if client not in SERVICES or downstream not in SERVICES:
            raise StackError(f"route {step.target.route} is not <service>-to-<service>")
        policy = partition_policy(self.namespace, self.release, client, downstream)
        self.networking.create_namespaced_network_policy(self.namespace, policy)
        downstream_labels = component_labels(self.release, downstream)
        client_labels = component_labels(self.release, client)
        for existing in self.networking.list_namespaced_network_policy(self.namespace).items:
            meta = _get(existing, "metadata")
            if (_get(meta, "labels") or {}).get(CHAOS_LABEL):
                continue
            if not selects(_get(_get(existing, "spec"), "pod_selector"), downstream_labels):
                continue
            stripped = ingress_without_client(existing, client_labels)
            if stripped is None:
                continue
            name = _get(meta, "name")
            original = [rule_dict(r, peers(r)) for r in (_get(_get(existing, "spec"), "ingress") or [])]
            self._patched.setdefault(name, original)
            self.networking.patch_namespaced_network_policy(name, self.namespace, {"spec": {"ingress": stripped}})

        def lift() -> None:
            self._reset_policies()

        return ActiveFault(f"NetworkPolicy {policy['metadata']['name']} cuts {client} off from {downstream} "
                           f"for {step.duration_s:g} s", lift, lambda: True)

    def _reset_policies(self) -> list[str]:
        done = []
        for policy in self.networking.list_namespaced_network_policy(
                self.namespace, label_selector=CHAOS_LABEL).items:
            name = _get(_get(policy, "metadata"), "name")
            self.networking.delete_namespaced_network_policy(name, self.namespace)
            done.append(f"deleted {name}")
        for name, ingress in list(self._patched.items()):
            self.networking.patch_namespaced_network_policy(name, self.namespace, {"spec": {"ingress": ingress}})
            del self._patched[name]
            done.append(f"restored {name}")
        return done

    # --- rollbacks --------------------------------------------------------------------------------------------
    def rollback(self, name: str) -> str:
        if name == "start-all":
            restored = []
            for (kind, workload), replicas in list(self._scaled.items()):
                if self._replicas(kind, workload) != replicas:
                    self._scale(kind, workload, replicas)
                    restored.append(f"{kind}/{workload}={replicas}")
            return f"scaled back {', '.join(restored)}" if restored else "every workload at its replica count"
        if name == "clear-faults":
            cleared = 0
            for service in SERVICES:
                for pod in pick_pods(self.pods(service), None):
                    try:
                        cleared += self._pod_proxy("DELETE", pod, "/admin/faults") == 200
                    except Exception:  # noqa: BLE001
                        pass
            return f"cleared faults on {cleared} pods"
        if name == "reset-proxies":
            done = self._reset_policies()
            return ", ".join(done) or "no chaos NetworkPolicy left"
        raise ValueError(f"unknown rollback {name}")

"""Policy over the rendered objects of every ci/*-values.yaml case: what a reviewer of the chart would check."""
from __future__ import annotations

import re
from typing import Any

import pytest

from deploy.rendering import (ROOT, SERVICES, component, containers, pod_labels, pod_spec, render,
                              service_deployments, workloads)

GIB = 1024 ** 3
UNITS = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3, "k": 1000, "M": 1000 ** 2, "G": 1000 ** 3, "": 1}


def memory_bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity)).groups()
    return int(float(number) * UNITS[unit])


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if not selector:
        return True
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        value, op = labels.get(expr["key"]), expr["operator"]
        if op == "In" and value not in expr["values"]:
            return False
        if op == "NotIn" and value in expr["values"]:
            return False
        if op == "Exists" and expr["key"] not in labels:
            return False
        if op == "DoesNotExist" and expr["key"] in labels:
            return False
    return True


def named(objects, kind):
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def test_every_container_has_requests_and_limits(case_objects):
    _, objects = case_objects
    missing = [c.where for c in containers(objects)
               for section in ("requests", "limits") for resource in ("cpu", "memory")
               if resource not in c.spec.get("resources", {}).get(section, {})]
    assert missing == []


# Locust is a load generator someone watches: no probes (its workers have no port to probe).
UNPROBED = {"locust", "locust-worker"}


def test_long_running_containers_have_probes(case_objects):
    _, objects = case_objects
    missing = []
    for c in containers(objects):
        if c.init or c.workload["kind"] in ("Job", "CronJob") or component(c.workload) in UNPROBED:
            continue
        wanted = ["livenessProbe", "readinessProbe"]
        if component(c.workload) in SERVICES:
            wanted.append("startupProbe")
        missing += [f"{c.where}: {probe}" for probe in wanted if probe not in c.spec]
    assert missing == []


def test_services_probe_livez_and_readyz(case_objects):
    _, objects = case_objects
    for name, deployment in service_deployments(objects).items():
        container = pod_spec(deployment)["containers"][0]
        assert container["startupProbe"]["httpGet"]["path"] == "/livez", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/livez", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name


def test_pods_meet_the_restricted_pod_security_profile(case_objects):
    _, objects = case_objects
    problems = []
    for workload in workloads(objects):
        spec, where = pod_spec(workload), f"{workload['kind']}/{workload['metadata']['name']}"
        pod_sc = spec.get("securityContext", {})
        if pod_sc.get("runAsNonRoot") is not True or pod_sc.get("runAsUser", 1) == 0:
            problems.append(f"{where}: not runAsNonRoot")
        if pod_sc.get("seccompProfile", {}).get("type") not in ("RuntimeDefault", "Localhost"):
            problems.append(f"{where}: seccompProfile")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(host):
                problems.append(f"{where}: {host}")
        problems += [f"{where}: hostPath volume" for volume in spec.get("volumes", []) if "hostPath" in volume]
    for c in containers(objects):
        sc = c.spec.get("securityContext", {})
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{c.where}: allowPrivilegeEscalation")
        if sc.get("privileged"):
            problems.append(f"{c.where}: privileged")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{c.where}: capabilities not dropped")
        if set(sc.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{c.where}: capabilities added")
        if c.spec.get("ports") and any(p.get("hostPort") for p in c.spec["ports"]):
            problems.append(f"{c.where}: hostPort")
    assert problems == []


def test_service_images_run_with_a_read_only_root_filesystem(case_objects):
    _, objects = case_objects
    for c in containers(objects):
        if component(c.workload) in SERVICES:
            assert c.spec["securityContext"]["readOnlyRootFilesystem"] is True, c.where
            assert {"name": "tmp", "mountPath": "/tmp"} in c.spec.get("volumeMounts", []) or c.init, c.where


def test_no_image_floats(case_objects):
    _, objects = case_objects
    floating = [f"{c.where}: {c.spec['image']}" for c in containers(objects)
                if ":" not in c.spec["image"].rsplit("/", 1)[-1] or c.spec["image"].endswith(":latest")]
    assert floating == []


def test_no_pod_gets_service_links_or_an_api_token(case_objects):
    """Service links would inject *_SERVICE_HOST/PORT variables (KAFKA_* ones become broker properties). Only the
    control room talks to the API server (its buttons: the chaos runner's k8s backend), with its own account."""
    _, objects = case_objects
    for workload in workloads(objects):
        spec = pod_spec(workload)
        assert spec.get("enableServiceLinks") is False, workload["metadata"]["name"]
        if component(workload) == "console":
            assert spec["serviceAccountName"] == "faultline-console"
            assert spec["automountServiceAccountToken"] is True
        else:
            assert spec.get("automountServiceAccountToken") is False, workload["metadata"]["name"]


def test_workload_selectors_match_their_pod_labels(case_objects):
    _, objects = case_objects
    for workload in workloads(objects):
        if workload["kind"] in ("Job", "CronJob"):
            continue
        assert selects(workload["spec"]["selector"], pod_labels(workload)), workload["metadata"]["name"]


def test_every_service_selects_pods_and_targets_their_ports(case_objects):
    _, objects = case_objects
    pods = [(pod_labels(w), pod_spec(w)) for w in workloads(objects)]
    for service in named(objects, "Service").values():
        matched = [spec for labels, spec in pods if selects({"matchLabels": service["spec"]["selector"]}, labels)]
        assert matched, f"Service {service['metadata']['name']} selects no pod"
        for spec in matched:
            ports = [p for c in spec["containers"] for p in c.get("ports", [])]
            names = {p.get("name") for p in ports}
            numbers = {p["containerPort"] for p in ports}
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                assert target in names or target in numbers, f"{service['metadata']['name']}:{target}"


def test_every_service_has_a_pod_disruption_budget(case_objects):
    _, objects = case_objects
    budgets = list(named(objects, "PodDisruptionBudget").values())
    for name, deployment in service_deployments(objects).items():
        covering = [b for b in budgets if selects(b["spec"]["selector"], pod_labels(deployment))]
        assert len(covering) == 1, name


def test_autoscalers_target_deployments_that_exist(case_objects):
    _, objects = case_objects
    deployments = named(objects, "Deployment")
    for hpa in named(objects, "HorizontalPodAutoscaler").values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert "replicas" not in deployments[hpa["spec"]["scaleTargetRef"]["name"]]["spec"]


def test_sigterm_drain_fits_in_the_grace_period(case_objects):
    """preStop sleep, then up to 10 s for gunicorn to drain and the consumers to leave, within the grace period."""
    _, objects = case_objects
    for name, deployment in service_deployments(objects).items():
        spec = pod_spec(deployment)
        sleep = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 1 <= sleep and sleep + 10 < spec["terminationGracePeriodSeconds"], name


def test_names_the_services_use_resolve_to_objects_of_the_chart(case_objects):
    """Every in-cluster host in an env value is a Service of the release; Secrets, ConfigMaps and accounts exist."""
    case, objects = case_objects
    services = set(named(objects, "Service"))
    secrets, config_maps, accounts = set(named(objects, "Secret")), set(named(objects, "ConfigMap")), \
        set(named(objects, "ServiceAccount"))
    problems = []
    for c in containers(objects):
        for env in c.spec.get("env", []):
            value = env.get("value", "")
            for host in re.findall(r"(?:^|//|@|,)(faultline-[a-z0-9-]+)(?=[:.]|$)", value):
                # a StatefulSet pod's own name: <pod>.<headless Service>.<namespace>...
                governed = re.search(rf"(?:^|//|@|,){re.escape(host)}\.([a-z0-9-]+)\.", value)
                if host not in services and not (governed and governed.group(1) in services):
                    problems.append(f"{c.where}: {env['name']} names {host}, not a Service")
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] not in secrets and case != "external-infra":
                problems.append(f"{c.where}: Secret {ref['name']} missing")
    for workload in workloads(objects):
        spec = pod_spec(workload)
        if spec.get("serviceAccountName") and spec["serviceAccountName"] not in accounts:
            problems.append(f"{workload['metadata']['name']}: ServiceAccount {spec['serviceAccountName']} missing")
        problems += [f"{workload['metadata']['name']}: ConfigMap {v['configMap']['name']} missing"
                     for v in spec.get("volumes", []) if "configMap" in v and v["configMap"]["name"] not in config_maps]
    assert problems == []


def test_kafka_headless_names_match_the_statefulset(case_objects):
    _, objects = case_objects
    statefulsets = named(objects, "StatefulSet")
    if "faultline-kafka" not in statefulsets:
        pytest.skip("Kafka is external in this case")
    kafka = statefulsets["faultline-kafka"]
    env = {e["name"]: e for e in pod_spec(kafka)["containers"][0]["env"]}
    headless = kafka["spec"]["serviceName"]
    assert named(objects, "Service")[headless]["spec"]["clusterIP"] == "None"
    assert env["KAFKA_ADVERTISED_LISTENERS"]["value"] == \
        f"PLAINTEXT://$(POD_NAME).{headless}.$(POD_NAMESPACE).svc.cluster.local:9092"
    voters = env["KAFKA_CONTROLLER_QUORUM_VOTERS"]["value"].split(",")
    assert voters == [f"{i}@faultline-kafka-{i}.{headless}.faultline.svc.cluster.local:9093"
                      for i in range(kafka["spec"]["replicas"])]
    assert env["KAFKA_NODE_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == \
        "metadata.labels['apps.kubernetes.io/pod-index']"


REQUIRED_KAFKA_PROPERTIES = {
    "KAFKA_PROCESS_ROLES", "KAFKA_NODE_ID", "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_LISTENERS",
    "KAFKA_ADVERTISED_LISTENERS", "KAFKA_CONTROLLER_LISTENER_NAMES", "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
    "KAFKA_INTER_BROKER_LISTENER_NAME", "KAFKA_LOG_DIRS", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
    "KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS", "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "CLUSTER_ID",
}


def test_kafka_gets_every_property_the_image_no_longer_defaults(case_objects):
    _, objects = case_objects
    kafka = named(objects, "StatefulSet").get("faultline-kafka")
    if kafka is None:
        pytest.skip("Kafka is external in this case")
    env = {e["name"]: e.get("value") for e in pod_spec(kafka)["containers"][0]["env"]}
    assert REQUIRED_KAFKA_PROPERTIES <= set(env)
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    nodes = kafka["spec"]["replicas"]
    assert int(env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"]) == min(nodes, 3)
    assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) < int(env["KAFKA_DEFAULT_REPLICATION_FACTOR"]) or nodes == 1
    # A lone node restarting after a crash waits this long for its registration; several fence a dead peer after it.
    assert env["KAFKA_BROKER_SESSION_TIMEOUT_MS"] == ("3000" if nodes == 1 else "6000")
    assert int(env["KAFKA_BROKER_SESSION_TIMEOUT_MS"]) // int(env["KAFKA_BROKER_HEARTBEAT_INTERVAL_MS"]) == 6


def pod_memory_request(spec: dict[str, Any]) -> int:
    def total(items):
        return sum(memory_bytes(c["resources"]["requests"]["memory"]) for c in items)
    inits = [total([c]) for c in spec.get("initContainers", [])]
    return max([total(spec["containers"]), *inits])


def memory_requests(objects: list[dict[str, Any]]) -> int:
    total = 0
    for workload in workloads(objects):
        replicas = workload["spec"].get("replicas", 1) if workload["kind"] in ("Deployment", "StatefulSet") else 1
        hpa = [h for h in objects if h["kind"] == "HorizontalPodAutoscaler"
               and h["spec"]["scaleTargetRef"]["name"] == workload["metadata"]["name"]]
        if hpa:
            replicas = hpa[0]["spec"]["minReplicas"]
        total += replicas * pod_memory_request(pod_spec(workload))
    return total


def test_laptop_profile_requests_fit_in_3_gib():
    """The defaults (ci/default) are the laptop profile: all pods, the topics Job included, within 3 GiB."""
    total = memory_requests(render("default"))
    print(f"laptop profile memory requests: {total / 1024 ** 2:.0f} MiB")
    assert total <= 3 * GIB


def test_the_readme_states_the_measured_memory_figure():
    readme = (ROOT / "charts" / "faultline" / "README.md").read_text()
    assert f"**{memory_requests(render('default')) // 1024 ** 2} MiB**" in readme

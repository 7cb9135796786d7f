"""The chart's HA values (ci/ha-values.yaml): three KRaft nodes at replication factor 3 with min.insync.replicas 2,
Redis as a primary with two replicas watched by three Sentinels, the services finding the primary through them,
and NetworkPolicies allowing exactly the replication and Sentinel flows on top of the app's."""
from __future__ import annotations

import pytest

from deploy.rendering import NAMESPACE, RELEASE, SERVICES, pod_spec, render, service_deployments
from deploy.test_network_policies import APP_FLOWS, allowed_flows

REDIS = f"{RELEASE}-redis"
SENTINEL = f"{RELEASE}-redis-sentinel"
SENTINEL_FLOWS = {
    *{(svc, "redis-sentinel", 26379) for svc in SERVICES},
    ("redis-sentinel", "redis-sentinel", 26379),     # Sentinels find each other and vote
    ("redis-sentinel", "redis", 6379),               # they watch, promote and reconfigure every node
    ("redis", "redis", 6379),                        # replicas follow the primary
}


@pytest.fixture(scope="module")
def ha():
    return render("ha")


def by_kind(objects, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def script(workload: dict) -> str:
    container = pod_spec(workload)["containers"][0]
    return " ".join(container.get("command", []) + container.get("args", []))


def test_three_kraft_nodes_replicate_every_topic_three_times_and_acknowledge_on_two(ha):
    kafka = by_kind(ha, "StatefulSet")[f"{RELEASE}-kafka"]
    assert kafka["spec"]["replicas"] == 3
    settings = env(pod_spec(kafka)["containers"][0])
    assert settings["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert settings["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert len(settings["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == 3


def test_redis_runs_a_primary_and_two_replicas_of_it_under_stable_names(ha):
    redis = by_kind(ha, "StatefulSet")[REDIS]
    assert redis["spec"]["replicas"] == 3
    headless = by_kind(ha, "Service")[redis["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    primary = f"{REDIS}-0.{redis['spec']['serviceName']}.{NAMESPACE}.svc.cluster.local"
    text = script(redis)
    assert f'[ "$(hostname)" = "{REDIS}-0" ] || follow="--replicaof {primary} 6379"' in text
    assert "--appendonly yes" in text


def test_three_sentinels_monitor_pod_zero_with_a_quorum_of_two(ha):
    sentinel = by_kind(ha, "StatefulSet")[SENTINEL]
    assert sentinel["spec"]["replicas"] == 3
    text = script(sentinel)
    primary = f"{REDIS}-0.{REDIS}-headless.{NAMESPACE}.svc.cluster.local"
    assert f"sentinel monitor faultline {primary} 6379 2" in text
    assert "sentinel down-after-milliseconds faultline 3000" in text
    assert "sentinel resolve-hostnames yes" in text and "exec redis-server /sentinel/sentinel.conf --sentinel" in text
    assert pod_spec(sentinel)["volumes"] == [{"name": "config", "emptyDir": {}}]   # Sentinel rewrites its file


def test_every_service_finds_the_primary_through_all_three_sentinels_and_reservations_wait_for_a_replica(ha):
    expected = ",".join(f"{SENTINEL}-{i}.{SENTINEL}.{NAMESPACE}.svc.cluster.local:26379" for i in range(3))
    for name, deployment in service_deployments(ha).items():
        settings = env(pod_spec(deployment)["containers"][0])
        assert settings["FAULTLINE_REDIS_SENTINELS"] == expected, name
        assert settings["FAULTLINE_REDIS_SENTINEL_MASTER"] == "faultline", name
        assert settings["FAULTLINE_REDIS_WAIT_REPLICAS"] == "1", name


def test_network_policies_allow_replication_and_sentinel_traffic_and_nothing_more(ha):
    flows = allowed_flows(ha)
    assert SENTINEL_FLOWS <= flows
    extra = {f for f in flows - APP_FLOWS - SENTINEL_FLOWS if f[1] != "redis" or f[0] not in SERVICES}
    # the app's own flows (with more replicas and autoscaling they are the same pairs) and nothing else
    assert not {f for f in extra if "redis" in f[0] or "redis" in f[1]}, extra


def test_the_default_values_keep_one_redis_and_no_sentinel():
    objects = render(None)
    assert by_kind(objects, "StatefulSet")[REDIS]["spec"]["replicas"] == 1
    assert SENTINEL not in by_kind(objects, "StatefulSet")
    for deployment in service_deployments(objects).values():
        assert "FAULTLINE_REDIS_SENTINELS" not in env(pod_spec(deployment)["containers"][0])

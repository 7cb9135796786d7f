"""Kafka's and Redis' data live on PersistentVolumes the storage provisioner made (StorageClass `standard`, as on
kind): deleting their pods loses nothing a user could see."""
from __future__ import annotations

import json
import time

from support.cluster import Cluster, elapsed_since, wait_for
from support.shop import Shop

# End offsets of every partition of `orders`, read from inside an order pod with the image's kafka-python.
END_OFFSETS = """
import json, os
from kafka import KafkaConsumer, TopicPartition
consumer = KafkaConsumer(bootstrap_servers=os.environ["FAULTLINE_KAFKA_BOOTSTRAP"], request_timeout_ms=20000)
partitions = [TopicPartition("orders", p) for p in consumer.partitions_for_topic("orders")]
print(json.dumps({tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}))
"""


def test_every_claim_is_bound_by_the_local_path_provisioner(cluster: Cluster):
    claims = json.loads(cluster.kubectl("get", "pvc", "-o", "json").stdout)["items"]
    assert claims, "the chart made no PersistentVolumeClaim"
    for claim in claims:
        assert claim["status"]["phase"] == "Bound", claim["metadata"]["name"]
        volume = json.loads(cluster.kubectl("get", "pv", claim["spec"]["volumeName"], "-o", "json").stdout)
        assert volume["spec"]["storageClassName"] == "standard"
        assert volume["metadata"]["annotations"]["pv.kubernetes.io/provisioned-by"] == "rancher.io/local-path"


def _delete_and_wait(cluster: Cluster, component: str) -> float:
    [pod] = cluster.pods(component)
    uid = pod["metadata"]["uid"]
    start = time.monotonic()
    cluster.kubectl("delete", "pod", pod["metadata"]["name"], "--wait=false")
    wait_for(f"a new {component} pod Ready",
             lambda: [p for p in cluster.pods(component) if p["metadata"]["uid"] != uid
                      and p["metadata"]["name"] in cluster.ready_pods(component)], 240)
    return elapsed_since(start)


def test_an_order_survives_deleting_the_redis_pod(cluster: Cluster, shop: Shop):
    order_id = shop.buy("FL-011", 1)
    before = shop.wait_terminal(order_id, 90)
    seconds = _delete_and_wait(cluster, "redis")
    after = wait_for("the order readable again", lambda: _order_or_none(shop, order_id), 120)
    assert (after["status"], after["version"]) == (before["status"], before["version"]), seconds
    cluster.wait_all_ready()


def _order_or_none(shop: Shop, order_id: str):
    try:
        response = shop.http.get(shop.url("order", f"/orders/{order_id}"), timeout=5)
    except OSError:
        return None
    return response.json() if response.status_code == 200 else None


def _end_offsets(cluster: Cluster) -> dict[str, int]:
    pod = cluster.ready_pods("order")[0]
    result = cluster.exec_python(pod, END_OFFSETS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_kafka_keeps_its_records_across_deleting_its_pod(cluster: Cluster, shop: Shop):
    shop.wait_terminal(shop.buy("FL-012", 1), 90)
    before = _end_offsets(cluster)
    assert sum(before.values()) > 0
    _delete_and_wait(cluster, "kafka")
    after = wait_for("Kafka answering again", lambda: _offsets_or_none(cluster), 180)
    assert all(after[partition] >= offset for partition, offset in before.items()), (before, after)
    cluster.wait_all_ready()
    # And the saga goes on with the same broker state.
    assert shop.wait_terminal(shop.buy("FL-012", 1), 120)["status"] == "CONFIRMED"


def _offsets_or_none(cluster: Cluster):
    try:
        return _end_offsets(cluster)
    except (AssertionError, ValueError):
        return None

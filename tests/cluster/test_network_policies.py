"""The chart's NetworkPolicies are enforced (kube-router's firewall): a flow the chart does not allow is refused,
and every flow it allows works. Probed from inside the pods, with the services' own Python."""
from __future__ import annotations

import pytest

from support.cluster import RELEASE, Cluster

# Connect to host:port within 3 s; print "open" or the error.
PROBE = """
import socket
try:
    socket.create_connection(({host!r}, {port}), timeout=3).close()
    print("open")
except OSError as error:
    print("refused", type(error).__name__, error)
"""

ALLOWED = [
    ("cart", "inventory", 8080),
    ("cart", "order", 8080),
    ("cart", "redis", 6379),
    ("cart", "kafka", 9092),
    ("order", "kafka", 9092),
    ("order", "redis", 6379),
    ("inventory", "kafka", 9092),
    ("email", "mailpit", 1025),
    ("email", "kafka", 9092),
]
# Flows no service needs: each must be cut by a policy, not merely unused.
DENIED = [
    ("email", "inventory", 8080),
    ("email", "order", 8080),
    ("inventory", "order", 8080),
    ("order", "inventory", 8080),
    ("cart", "mailpit", 1025),
    ("inventory", "mailpit", 1025),
]


def probe(cluster: Cluster, client: str, downstream: str, port: int) -> str:
    pod = cluster.ready_pods(client)[0]
    host = f"{RELEASE}-{downstream}"
    result = cluster.exec_python(pod, PROBE.format(host=host, port=port))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(("client", "downstream", "port"), ALLOWED, ids=[f"{c}->{d}" for c, d, _ in ALLOWED])
def test_an_allowed_flow_connects(cluster: Cluster, client: str, downstream: str, port: int):
    assert probe(cluster, client, downstream, port) == "open"


@pytest.mark.parametrize(("client", "downstream", "port"), DENIED, ids=[f"{c}->{d}" for c, d, _ in DENIED])
def test_a_flow_the_chart_does_not_allow_is_refused(cluster: Cluster, client: str, downstream: str, port: int):
    assert probe(cluster, client, downstream, port).startswith("refused")

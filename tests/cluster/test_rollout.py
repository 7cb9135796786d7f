"""A rolling restart of every Deployment (`kubectl rollout restart`) under Locust load: no failed request.

The chart's readiness probes, PodDisruptionBudgets, surge settings and the services' SIGTERM drain are what make
this hold; the NodePorts route only to ready pods."""
from __future__ import annotations

import time
from pathlib import Path

from support.cluster import SERVICES, Cluster, elapsed_since, locust, RELEASE


def test_a_rolling_restart_of_each_deployment_under_load_fails_no_request(cluster: Cluster, tmp_path: Path):
    took = {}
    with locust(cluster, tmp_path) as shoppers:
        for service in SERVICES:
            start = time.monotonic()
            cluster.kubectl("rollout", "restart", f"deployment/{RELEASE}-{service}")
            cluster.kubectl("rollout", "status", f"deployment/{RELEASE}-{service}", "--timeout=300s", timeout=330)
            took[service] = elapsed_since(start)
    requests_sent, failures = shoppers.totals()
    print(f"rollout restart seconds per Deployment: {took}; Locust requests {requests_sent}, failures {failures}")
    assert requests_sent > 0
    assert failures == 0, shoppers.log.read_text()[-3000:]

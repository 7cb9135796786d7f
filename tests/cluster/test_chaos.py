"""The chaos runner's Kubernetes backend against the real cluster: pods deleted one service at a time under
Locust load, then the Kafka pod, then the Redis pod; each experiment's verdict, then `faultline verify`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cluster import Cluster, locust


def run_experiment(cluster: Cluster, name: str, reports: Path) -> dict:
    result = cluster.stack.faultline("chaos", "run", name, "--backend", "k8s", "--short", "--reports",
                                     str(reports), "--json", timeout=600, check=False)
    start = result.stdout.rfind("\n{")
    assert start >= 0, f"no figures from chaos run {name} (exit {result.returncode}):\n{result.stdout}\n" \
                       f"{result.stderr}"
    figures = json.loads(result.stdout[start:])
    summary = (Path(figures["report"]) / "summary.md").read_text()
    assert figures["verdict"] == "PASS", summary
    assert result.returncode == 0, summary
    return figures


def test_kill_replica_deletes_a_pod_of_each_service_under_locust_load_without_a_failed_checkout(
        cluster: Cluster, tmp_path: Path):
    """A pod deleted with grace 0 resets the connections it held: on Kubernetes no proxy retries them (HAProxy does
    locally), so the shoppers retry as a well-behaved client does, and no checkout may fail in the end."""
    with locust(cluster, tmp_path, retries=2) as shoppers:
        figures = run_experiment(cluster, "kill-replica", tmp_path / "reports")
    checkouts, failed = shoppers.checkouts()
    requests_sent, failed_requests = shoppers.totals()
    print(f"kill-replica: runner {figures['checkouts']} checkouts, {figures['failed_checkouts']} failed, recovery "
          f"{figures['recovery_s']} s; Locust {checkouts} checkouts, {failed} failed, {requests_sent} requests, "
          f"{failed_requests} failed attempts")
    assert figures["failed_checkouts"] == 0, figures
    assert checkouts > 0 and failed == 0, shoppers.log.read_text()[-3000:]
    assert figures["orders_lost"] == 0 and figures["orders_duplicated"] == 0, figures


@pytest.mark.parametrize("name", ["kill-kafka", "kill-redis"])
def test_an_infrastructure_pod_deleted_is_survived_as_the_experiment_promises(cluster: Cluster, name: str,
                                                                              tmp_path: Path):
    figures = run_experiment(cluster, name, tmp_path)
    assert figures["orders_lost"] == 0 and figures["orders_duplicated"] == 0, figures
    cluster.wait_all_ready()


def test_verify_passes_against_the_cluster_after_the_experiments(cluster: Cluster):
    result = cluster.stack.faultline("verify", "--json", timeout=180, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

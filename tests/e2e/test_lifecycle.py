"""Instances behave like pods: readiness, graceful SIGTERM, restart by the process manager."""
from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from faultline_ops import services
from support.stack import eventually

pytestmark = pytest.mark.e2e


def test_every_service_is_ready_and_describes_itself(stack):
    for service in services.APIS:
        ready = requests.get(f"{stack.url(service)}/readyz", timeout=5)
        assert ready.status_code == 200, (service, ready.text)
        assert requests.get(f"{stack.url(service)}/openapi.json", timeout=5).json()["openapi"].startswith("3.")


def test_a_stopped_replica_drains_in_time_and_the_service_keeps_answering(stack, shop):
    started = time.monotonic()
    result = stack.supervisorctl("stop", "order:order-1")
    drained_in = time.monotonic() - started
    try:
        assert "stopped" in result.stdout, result.stdout + result.stderr
        assert drained_in < 10, f"SIGTERM to exit took {drained_in:.1f}s"
        order_id = shop.buy("FL-007", 1)
        assert shop.wait_terminal(order_id)["status"] == "CONFIRMED"
    finally:
        stack.supervisorctl("start", "order:order-1")
    port = stack.settings.replica_port("order", 1)
    eventually(lambda: _ready(f"http://127.0.0.1:{port}/readyz"), 60, what="order-1 ready again")


def test_a_crashed_replica_is_restarted_by_the_process_manager(stack):
    status = stack.supervisorctl("pid", "inventory:inventory-2")
    pid = int(status.stdout.strip())
    os.kill(pid, signal.SIGKILL)
    eventually(lambda: _pid(stack, "inventory:inventory-2") not in (None, pid), 30, what="a new inventory-2 process")
    port = stack.settings.replica_port("inventory", 2)
    eventually(lambda: _ready(f"http://127.0.0.1:{port}/readyz"), 60, what="inventory-2 ready again")


def _pid(stack, name: str) -> int | None:
    out = stack.supervisorctl("pid", name).stdout.strip()
    return int(out) if out.isdigit() and out != "0" else None


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False

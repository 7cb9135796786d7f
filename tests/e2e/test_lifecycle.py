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


def test_a_stopped_replica_exits_on_sigterm_and_the_service_keeps_answering(stack, shop):
    supervisor_log = stack.settings.logs / "supervisord.log"
    stops_before = _graceful_stops(supervisor_log, "order-1")
    started = time.monotonic()
    result = stack.supervisorctl("stop", "order:order-1")
    drained_in = time.monotonic() - started
    try:
        assert "stopped" in result.stdout, result.stdout + result.stderr
        # Graceful means it exited by itself (status 0) before supervisord's stopwaitsecs ran out and it sent SIGKILL.
        assert _graceful_stops(supervisor_log, "order-1") == stops_before + 1, supervisor_log.read_text()[-2000:]
        print(f"order-1 drained and exited {drained_in:.1f} s after SIGTERM")
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


def _graceful_stops(supervisor_log, program: str) -> int:
    return supervisor_log.read_text().count(f"stopped: {program} (exit status 0)")


def _pid(stack, name: str) -> int | None:
    out = stack.supervisorctl("pid", name).stdout.strip()
    return int(out) if out.isdigit() and out != "0" else None


def _ready(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False

"""The Locust journeys (loadtests/locustfile.py) as Locust runs them: against the test stack, and against a stub
that answers 200 to everything, where the deliberately bad requests must count as failures.

Locust runs in a subprocess (it monkey-patches the standard library with gevent). Nothing here asserts a timing:
`make load-smoke` and `make bench` measure; these tests only check what the run counted.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.stack import REPO

pytestmark = pytest.mark.e2e

LOCUST = Path(sys.executable).parent / "locust"
LOCUSTFILE = REPO / "loadtests" / "locustfile.py"


def run_locust(tmp_path: Path, cart: str, inventory: str, order: str, *extra: str, run_time: str = "90s",
               env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict[tuple[str, str], dict]]:
    """A headless run (4 users, little think time) that ends once it counted what the test needs (--until-*), with
    `run_time` as the deadline; answers the process and its stats by (type, name)."""
    command = [str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--only-summary", "--users", "4",
               "--spawn-rate", "4", "--run-time", run_time, "--stop-timeout", "20", "--host", cart,
               "--inventory-host", inventory, "--order-host", order, "--think-min", "0.05", "--think-max", "0.2",
               "--csv", str(tmp_path / "run"), "--events-file", str(tmp_path / "events.jsonl"), *extra]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd=tmp_path, env=env)
    with open(tmp_path / "run_stats.csv", newline="") as stats:
        rows = {(row["Type"], row["Name"]): row for row in csv.DictReader(stats)}
    return result, rows


@pytest.fixture
def restore_stock(shop):
    """The run buys from the whole catalog: put every SKU's available stock back afterwards for later tests."""
    before = {p["sku"]: p["available"] for p in shop.http.get(shop.url("inventory", "/products")).json()["products"]}
    yield
    for sku, available in before.items():
        assert shop.set_stock(sku, available).status_code == 200


def test_the_journeys_check_out_follow_orders_and_count_bad_input_as_success(shop, tmp_path, restore_stock):
    stack = shop.stack
    result, rows = run_locust(tmp_path, stack.url("cart"), stack.url("inventory"), stack.url("order"),
                              "--min-checkouts", "1", "--until-checkouts", "1", "--until-bad-inputs", "1",
                              "--restock", "0", env=stack.env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(rows[("", "Aggregated")]["Failure Count"]) == 0

    sagas = {name: row for (kind, name), row in rows.items() if kind == "SAGA"}
    assert sagas, f"no SAGA rows in {sorted(rows)}"
    assert set(sagas) <= {"checkout -> CONFIRMED", "checkout -> REJECTED", "checkout -> CANCELLED"}
    checkouts = int(rows[("POST", "cart /carts/{id}/checkout")]["Request Count"])
    assert sum(int(row["Request Count"]) for row in sagas.values()) == checkouts

    bad = [row for (_, name), row in rows.items() if name.startswith("bad input:")]
    assert bad and all(int(row["Failure Count"]) == 0 for row in bad)

    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert {e["type"] for e in events if e["kind"] == "request"} >= {"GET", "PUT", "POST", "SAGA"}
    flows = [e for e in events if e["kind"] == "flow"]
    assert len(flows) == checkouts and all(e["ok"] and e["order_id"] for e in flows)
    assert all(e["ok"] for e in events)


class AlwaysOk(BaseHTTPRequestHandler):
    """A shop that accepts anything: a catalog of two SKUs, every order confirmed at once, 200 otherwise."""

    def _answer(self) -> None:
        if self.path == "/products":
            body = {"products": [{"sku": "FL-001", "available": 5}, {"sku": "FL-002", "available": 5}]}
            status = 200
        elif self.path.endswith("/checkout"):
            body, status = {"order_id": "stub-order"}, 202
        elif self.path.startswith("/orders/"):
            body, status = {"status": "CONFIRMED"}, 200
        else:
            body, status = {}, 200
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def always_ok():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysOk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_bad_input_that_is_accepted_counts_as_a_failure_and_fails_the_run(always_ok, tmp_path):
    result, rows = run_locust(tmp_path, always_ok, always_ok, always_ok, "--restock", "0", "--until-bad-inputs", "1")
    assert result.returncode != 0
    bad = {name: row for (_, name), row in rows.items() if name.startswith("bad input:")}
    assert bad and all(int(row["Failure Count"]) == int(row["Request Count"]) for row in bad.values())
    good = [row for (_, name), row in rows.items() if name != "Aggregated" and not name.startswith("bad input:")]
    assert good and all(int(row["Failure Count"]) == 0 for row in good)


def test_too_few_checkouts_fail_the_run(always_ok, tmp_path):
    result, _ = run_locust(tmp_path, always_ok, always_ok, always_ok, "--restock", "0", "--min-checkouts", "100000",
                           run_time="2s")
    assert result.returncode != 0
    assert "fewer than --min-checkouts 100000" in result.stderr

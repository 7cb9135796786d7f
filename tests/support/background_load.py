"""A background Locust beside a test tier: the shoppers of `make load`, against the test stack, while the tests run.

The tests must pass whatever these shoppers do meanwhile (FAULTLINE_E2E_BACKGROUND_USERS=N, `make
test-e2e-under-load`). Their own requests fail when a test breaks the stack on purpose: they are counted and shown,
never judged.
"""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.stack import REPO, LocalStack

USERS_VARIABLE = "FAULTLINE_E2E_BACKGROUND_USERS"


def users_asked() -> int:
    return int(os.environ.get(USERS_VARIABLE) or 0)


@dataclass
class BackgroundLocust:
    stack: LocalStack
    users: int
    reports: Path

    def start(self) -> "BackgroundLocust":
        s = self.stack.settings
        self.reports.mkdir(parents=True, exist_ok=True)
        self._log = (self.reports / "locust.log").open("w")
        command = [str(Path(sys.executable).parent / "locust"), "--config", "loadtests/locust.conf", "--headless",
                   "--only-summary", "--host", s.service_url("cart"), "--inventory-host", s.service_url("inventory"),
                   "--order-host", s.service_url("order"), "--users", str(self.users),
                   "--spawn-rate", str(self.users), "--csv", str(self.reports / "background")]
        self.started = time.monotonic()
        self._process = subprocess.Popen(command, cwd=REPO, env=self.stack.env, stdout=self._log,
                                         stderr=subprocess.STDOUT)
        return self

    def running(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> str:
        """Ctrl-C, as a person stops Locust (it finishes the journeys it is in), then its figures in one line."""
        if self.running():
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()
        return self.summary()

    def summary(self) -> str:
        stats = self.reports / "background_stats.csv"
        if not stats.exists():
            return f"background Locust wrote no statistics; see {self.reports / 'locust.log'}"
        with stats.open() as f:
            rows = list(csv.DictReader(f))
        total = next((r for r in rows if r["Name"] == "Aggregated"), None)
        sagas = sum(int(r["Request Count"]) - int(r["Failure Count"]) for r in rows if r["Type"] == "SAGA")
        if total is None:
            return "background Locust: no requests"
        return (f"background Locust, {self.users} users for {time.monotonic() - self.started:.0f} s: "
                f"{total['Request Count']} requests, {total['Failure Count']} failed (tests break the stack on "
                f"purpose), {sagas} sagas completed; reports in {self.reports.relative_to(REPO)}")

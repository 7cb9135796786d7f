"""The test suite's own local stack: same `faultline` CLI a user runs, its own state dir and ports."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import requests

from faultline_ops import settings as stack_settings

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")

# Every port of the stack, FAULTLINE_TEST_PORT_OFFSET (default 100) above its default, so `make test` runs beside a
# user's `make up` (order 8181, Kafka 19192, ...); another offset runs a second suite beside the first.
DEFAULT_PORT_OFFSET = 100


def shifted_ports(offset: int = DEFAULT_PORT_OFFSET) -> dict[str, str]:
    return {name: str(default + offset) for name, (_, default) in stack_settings.port_defaults().items()}


TEST_PORTS = shifted_ports()


def stack_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(shifted_ports(int(os.environ.get("FAULTLINE_TEST_PORT_OFFSET") or DEFAULT_PORT_OFFSET)))
    env["FAULTLINE_HOME"] = os.environ.get("FAULTLINE_TEST_HOME", str(REPO / ".run" / "test"))
    env.setdefault("FAULTLINE_ADMIN_TOKEN", "test-admin-token")
    return env


@dataclass(frozen=True)
class LocalStack:
    env: dict[str, str]

    @property
    def settings(self) -> stack_settings.Settings:
        return stack_settings.from_env(self.env)

    def faultline(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(Path(sys.executable).parent / "faultline"), *args]
        result = subprocess.run(command, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def supervisorctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(self.settings.supervisor_conf), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)

    def url(self, service: str) -> str:
        return self.settings.service_url(service)

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env['FAULTLINE_ADMIN_TOKEN']}"}


# A poll that could not be answered (a timeout, a refused connection, a 503 page instead of JSON from a busy
# machine) is a "not yet", like a falsy answer: the deadline, not the first hiccup, ends the wait.
TRANSIENT = (requests.RequestException, requests.exceptions.JSONDecodeError)


def eventually(probe: Callable[[], T | None], timeout_s: float, interval_s: float = 0.2,
               what: str = "condition") -> T:
    """Poll `probe` until it returns something truthy, or fail after `timeout_s` (no bare sleeps in tests)."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except TRANSIENT as exc:
            last = exc
        else:
            if last:
                return last  # type: ignore[return-value]
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}; last value: {last!r}")

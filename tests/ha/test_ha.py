"""The HA profile (`faultline up --ha`) on a stack of its own, and the short forms of its experiments against it:
a killed partition leader, a killed KRaft controller, two of three brokers gone, a killed Redis primary. Each must
PASS with its failover figure measured and no acknowledged write lost where the write is CP.

The stack listens 40 ports above the session's test stack (own state dir .run/test-ha), so both run side by side.
`make test-ha` runs this tier: it starts three JVMs and waits out their restarts, about 10 minutes on two cores.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from support.stack import REPO, DEFAULT_PORT_OFFSET, LocalStack, shifted_ports, stack_environment

pytestmark = pytest.mark.ha

HA_PORT_SHIFT = 40
ROLE_FIGURES = {"kill-broker": "new partition leader after (s)", "kill-controller": "new controller elected after (s)",
                "kill-redis-primary": "replica promoted after (s)"}


def ha_environment() -> dict[str, str]:
    env = stack_environment()
    offset = int(os.environ.get("FAULTLINE_TEST_PORT_OFFSET") or DEFAULT_PORT_OFFSET) + HA_PORT_SHIFT
    env.update(shifted_ports(offset))
    env["FAULTLINE_HOME"] = os.environ.get("FAULTLINE_TEST_HA_HOME", str(REPO / ".run" / "test-ha"))
    env.pop("FAULTLINE_PROFILE", None)
    return env


@pytest.fixture(scope="module")
def ha_stack():
    stack = LocalStack(ha_environment())
    stack.faultline("clean")
    stack.faultline("up", "--ha", timeout=900)
    yield stack
    if os.environ.get("FAULTLINE_KEEP_STACK") != "1":
        stack.faultline("down")


def run_chaos(stack: LocalStack, name: str, reports: Path) -> tuple[dict, str]:
    result = stack.faultline("chaos", "run", name, "--short", "--reports", str(reports), "--json",
                             timeout=400, check=False)
    out = result.stdout
    start = out.rfind("\n{")
    assert start >= 0, f"no JSON figures from chaos run {name} (exit {result.returncode}):\n{out}\n{result.stderr}"
    figures = json.loads(out[start:])
    return figures, (Path(figures["report"]) / "summary.md").read_text()


def test_status_shows_the_brokers_the_controller_the_isr_and_the_redis_primary(ha_stack):
    out = ha_stack.faultline("status").stdout
    assert "kafka: brokers 1,2,3; KRaft voters 1,2,3; active controller node" in out
    assert "redis: primary 127.0.0.1:" in out and "3 of 3 Sentinels agree" in out
    assert "ISR" in out and "LAG (bytes)" in out


@pytest.mark.parametrize("name", ["kill-broker", "kill-controller", "kill-two-brokers", "kill-redis-primary"])
def test_ha_experiment_passes_without_losing_acknowledged_writes(ha_stack, name, tmp_path_factory):
    figures, summary = run_chaos(ha_stack, name, tmp_path_factory.mktemp(f"chaos-{name}"))
    assert figures["verdict"] == "PASS", summary
    assert figures["orders_accepted"] > 0, summary
    assert figures["lost_acknowledged"]["reservations"] == 0, summary
    assert figures["lost_acknowledged"]["orders"] == 0, summary
    assert (Path(figures["report"]) / "ledger.json").exists()
    if name in ROLE_FIGURES:
        measured = next(iter(figures["failover"].values()))
        assert isinstance(measured[ROLE_FIGURES[name]], float), summary
    if name == "kill-two-brokers":
        assert figures["backlog_orders"] and figures["backlog_orders"] > 0, summary   # the outbox filled up


def test_the_default_profile_refuses_an_ha_experiment_before_touching_anything(tmp_path):
    env = {**stack_environment(), "FAULTLINE_HOME": str(tmp_path / "default")}
    env.pop("FAULTLINE_PROFILE", None)
    result = LocalStack(env).faultline("chaos", "run", "kill-broker", "--short", check=False)
    assert result.returncode == 3 and "needs the HA profile" in result.stdout
    assert not (tmp_path / "default").exists()

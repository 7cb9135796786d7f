"""The HA profile (`faultline up --ha`) on a stack of its own, and every HA experiment against it through
`faultline chaos run`: a killed partition leader, a killed KRaft controller, two of three brokers gone, one broker
partitioned from the other two, a killed Redis primary. Each is judged by its own verdict, with its failover figure
measured and no acknowledged write lost where the write is CP.

`make test-ha` runs the full forms, `make test-ha HA_FORM=short` the short ones.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from faultline_ops.chaos import experiment
from support.chaos import failed_hypothesis_checks, failed_verify_checks, run_chaos
from support.stack import REPO, LocalStack, stack_environment

pytestmark = pytest.mark.ha

EXPERIMENTS = sorted(name for name, path in experiment.available(REPO).items()
                     if experiment.load(path).profile == "ha")
ROLE_FIGURES = {"kill-broker": "new partition leader after (s)", "kill-controller": "new controller elected after (s)",
                "kill-redis-primary": "replica promoted after (s)", "partition-broker": "left every ISR after (s)"}
RUN_TIMEOUT_S = {"short": 420, "full": 900}
# Order intake is AP (docs/failure-handling.md, the CAP table): an order answered 202 in the last moment before the
# Redis primary dies may be missing on the promoted replica. Its OrderPlaced may have left through the outbox, so
# inventory then holds stock for an order order does not know. Those checks may fail, only with a lost order.
AP_ORDER_LOSS_SHOWS_IN = {"acknowledged orders kept", "every accepted order is terminal",
                          "stock conserved (total = available + held by confirmed)"}


def test_the_ha_tier_covers_every_experiment_the_issue_asks_for():
    assert {"kill-broker", "kill-two-brokers", "kill-controller", "partition-broker",
            "kill-redis-primary"} <= set(EXPERIMENTS)


def test_status_shows_the_brokers_the_controller_the_isr_and_the_redis_primary(ha_stack: LocalStack):
    out = ha_stack.faultline("status").stdout
    assert "kafka: brokers 1,2,3; KRaft voters 1,2,3; active controller node" in out
    assert "redis: primary 127.0.0.1:" in out and "3 of 3 Sentinels agree" in out
    assert "ISR" in out and "LAG (bytes)" in out


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_ha_experiment_keeps_every_acknowledged_cp_write(ha_stack: LocalStack, ha_form: str, name: str,
                                                         tmp_path_factory):
    figures, summary = run_chaos(ha_stack, name, tmp_path_factory.mktemp(f"chaos-{name}"),
                                 short=ha_form == "short", timeout=RUN_TIMEOUT_S[ha_form])
    lost = figures["lost_acknowledged"]
    assert figures["verdict"] != "ABORTED" and figures["orders_accepted"] > 0, summary
    assert lost["reservations"] == 0 and lost["confirmations"] == 0, summary
    assert (Path(figures["report"]) / "ledger.json").exists()
    if name == "kill-redis-primary":
        # PASS, or FAIL for the measured price of the AP intake and nothing else.
        assert figures["verdict"] == "PASS" or (
            lost["orders"] > 0 and not failed_hypothesis_checks(summary)
            and failed_verify_checks(summary) <= AP_ORDER_LOSS_SHOWS_IN), summary
    else:
        assert figures["verdict"] == "PASS", summary
        assert lost["orders"] == 0, summary
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

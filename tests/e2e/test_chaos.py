"""Every chaos experiment in its short form against the test stack, through `faultline chaos run`, ending in PASS.

Each run lifts its faults and runs its rollbacks whatever happens, so the experiments (and the e2e tests after
them) share one stack. The report folders land in the session's temporary directory.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from faultline_ops.chaos import experiment
from support.chaos import run_chaos
from support.stack import REPO, LocalStack

pytestmark = pytest.mark.e2e

# The default profile's experiments; the HA profile's run on their own stack (tests/ha, make test-ha).
EXPERIMENTS = sorted(name for name, path in experiment.available(REPO).items()
                     if experiment.load(path).profile == "default")


def test_the_short_forms_cover_every_experiment_the_issue_asks_for():
    assert {"kill-replica", "kill-service", "kill-kafka", "kill-redis", "partition", "latency",
            "clock-skew"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_passes_its_verdict_without_losing_or_duplicating_orders(stack: LocalStack, name: str,
                                                                             tmp_path_factory):
    figures, summary = run_chaos(stack, name, tmp_path_factory.mktemp(f"chaos-{name}"))
    assert figures["verdict"] == "PASS", summary
    assert figures["orders_lost"] == 0 and figures["orders_duplicated"] == 0, summary
    assert figures["orders_accepted"] > 0, summary
    assert (Path(figures["report"]) / "timeline.png").stat().st_size > 10_000

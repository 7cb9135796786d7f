"""The phase file a running experiment keeps for the control room."""
from __future__ import annotations

import json

import pytest

from faultline_ops.chaos.phase import PhaseFile


def test_phases_advance_and_the_verdict_closes_the_run(tmp_path):
    path = tmp_path / "chaos" / "current.json"
    phases = PhaseFile(path, "kill-replica", "local")
    phases("steady state", "3 s of load")
    phases("fault", "kill inventory-1")
    phases("fault", "kill cart-1")
    state = json.loads(path.read_text())
    assert (state["phase"], state["detail"], state["done"]) == ("fault", "kill cart-1", ["steady state"])
    phases("recovery")
    phases.finish("PASS", "report x")
    state = json.loads(path.read_text())
    assert (state["phase"], state["verdict"]) == ("verdict", "PASS")
    assert state["done"] == ["steady state", "fault", "recovery"]


def test_an_unknown_phase_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        PhaseFile(tmp_path / "p.json", "x", "local")("warming up")

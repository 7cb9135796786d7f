"""The page's buttons as the chaos runner's steps, for either backend."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from console_service.actions import ActionRequest, step_for
from faultline_ops.chaos.experiment import Target


def test_kill_keeps_a_local_replica_down_until_restart_and_deletes_a_pod_on_kubernetes():
    action = ActionRequest(kind="kill", service="inventory", replica=1)
    local = step_for(action, "local")
    assert (local.action, local.target, local.params) == ("stop", Target(service="inventory", replica=1),
                                                          {"signal": "KILL"})
    k8s = step_for(action, "k8s")
    assert (k8s.action, k8s.target) == ("kill", Target(service="inventory", replica=1))


def test_stop_kafka_partition_and_faults_map_to_the_shipped_fault_kinds():
    assert step_for(ActionRequest(kind="stop", program="kafka"), "local").target == Target(program="kafka")
    cut = step_for(ActionRequest(kind="partition", route="cart-to-inventory"), "local")
    assert (cut.action, cut.target.route, cut.params) == ("proxy", "cart-to-inventory", {"mode": "cut"})
    slow = step_for(ActionRequest(kind="latency", service="inventory", latency_ms=300), "k8s")
    assert (slow.action, slow.params) == ("faults", {"latency_ms": 300})
    assert step_for(ActionRequest(kind="errors", service="inventory"), "local").params == {"error_rate": 1.0}
    assert step_for(ActionRequest(kind="clock-skew", service="order", skew_ms=-5), "local").params == \
        {"clock_skew_ms": -5}


@pytest.mark.parametrize("body", [
    {"kind": "kill", "service": "inventory"},                 # which replica?
    {"kind": "stop"},                                         # what to stop?
    {"kind": "stop", "program": "mailpit"},                   # not a button
    {"kind": "partition", "route": "order-to-cart"},          # not a proxied route
    {"kind": "latency", "service": "inventory", "latency_ms": 0},
    {"kind": "errors", "service": "nope"},
    {"kind": "clock-skew", "service": "order", "skew_ms": 0},
    {"kind": "reboot"},
    {"kind": "errors", "service": "cart", "surprise": 1},
])
def test_a_request_that_names_no_valid_target_is_refused(body):
    with pytest.raises(ValidationError):
        ActionRequest.model_validate(body)


def test_a_button_describes_what_it_did():
    assert ActionRequest(kind="latency", service="inventory", latency_ms=250).describe() == \
        "latency inventory (every replica) +250 ms"
    assert ActionRequest(kind="kill", service="cart", replica=2).describe() == "kill cart-2"

"""Experiment files: every shipped one loads in both forms, and a wrong file is refused before anything breaks."""
import pytest

from faultline_ops.chaos import experiment
from faultline_ops.settings import repo_root


def minimal(**overrides) -> dict:
    doc = {"name": "x", "title": "X", "steady_state": {"window_s": 5, "checks": {"checkout_success": {"min": 0.99}}},
           "method": [{"action": "kill", "target": {"service": "cart", "replica": 1}}]}
    doc.update(overrides)
    return doc


@pytest.mark.parametrize("name", sorted(experiment.available(repo_root())))
def test_every_shipped_experiment_loads_in_full_and_short_form(name):
    path = experiment.available(repo_root())[name]
    full, short = experiment.load(path), experiment.load(path, short=True)
    assert full.method and full.steady_state and full.expect
    assert short.short and sum(s.duration_s for s in short.method) <= sum(s.duration_s for s in full.method)


def test_a_duration_can_differ_between_the_full_and_the_short_form():
    doc = minimal(method=[{"action": "stop", "target": {"program": "kafka"}, "duration_s": {"full": 20, "short": 4}}])
    assert experiment.parse(doc).method[0].duration_s == 20
    assert experiment.parse(doc, short=True).method[0].duration_s == 4


def test_an_unknown_check_is_refused_with_its_place_in_the_file():
    doc = minimal(steady_state={"checks": {"happiness": {"min": 1}}})
    with pytest.raises(experiment.ExperimentError, match=r"steady_state.checks.happiness"):
        experiment.parse(doc)


def test_a_stop_without_a_duration_is_refused():
    with pytest.raises(experiment.ExperimentError, match="positive duration"):
        experiment.parse(minimal(method=[{"action": "stop", "target": {"service": "order"}}]))


def test_only_order_has_a_leader_to_kill():
    with pytest.raises(experiment.ExperimentError, match="only order has a leader"):
        experiment.parse(minimal(method=[{"action": "kill", "target": {"service": "cart", "replica": "leader"}}]))


def test_a_proxy_step_needs_a_route_and_a_known_mode():
    with pytest.raises(experiment.ExperimentError, match="targets a route"):
        experiment.parse(minimal(method=[{"action": "proxy", "target": {"service": "cart"}, "duration_s": 1}]))
    with pytest.raises(experiment.ExperimentError, match="mode"):
        experiment.parse(minimal(method=[{"action": "proxy", "target": {"route": "cart-to-order"},
                                          "params": {"mode": "flood"}, "duration_s": 1}]))


def test_steps_with_next_form_one_group_applied_together():
    method = [{"action": "faults", "target": {"service": "order"}, "duration_s": 5, "with_next": True},
              {"action": "faults", "target": {"service": "inventory"}, "duration_s": 5},
              {"action": "kill", "target": {"service": "cart", "replica": 1}}]
    groups = experiment.groups(experiment.parse(minimal(method=method)).method)
    assert [[s.target.service for s in g] for g in groups] == [["order", "inventory"], ["cart"]]


def test_a_step_tolerance_overrides_the_experiments_during():
    method = [{"action": "stop", "target": {"service": "order"}, "duration_s": 3,
               "during": {"failed_statuses": {"allowed": [503]}}}]
    step = experiment.parse(minimal(method=method, during={"checkout_success": {"min": 1.0}})).method[0]
    assert [(c.name, c.allowed) for c in step.during] == [("failed_statuses", ("503",))]


def test_an_ha_step_names_one_node_by_number_or_by_role():
    doc = minimal(profile="ha", method=[
        {"action": "stop", "target": {"program": "kafka", "node": "leader"}, "duration_s": 5, "failover_within_s": 15},
        {"action": "stop", "target": {"program": "redis", "node": 2}, "duration_s": 5}])
    exp = experiment.parse(doc)
    assert exp.profile == "ha"
    assert [s.target.node for s in exp.method] == ["leader", 2]
    assert exp.method[0].failover_within_s == 15


@pytest.mark.parametrize("target", [{"program": "kafka", "node": "primary"}, {"program": "redis", "node": "leader"},
                                    {"program": "kafka", "node": 4}, {"program": "mailpit", "node": 1}])
def test_a_node_must_exist_for_its_program(target):
    with pytest.raises(experiment.ExperimentError, match="node"):
        experiment.parse(minimal(method=[{"action": "kill", "target": target}]))


def test_a_failover_bound_needs_a_node_taken_by_role():
    with pytest.raises(experiment.ExperimentError, match="failover_within_s"):
        experiment.parse(minimal(method=[{"action": "kill", "target": {"program": "kafka", "node": 2},
                                          "failover_within_s": 10}]))


def test_an_unknown_profile_is_refused():
    with pytest.raises(experiment.ExperimentError, match="profile"):
        experiment.parse(minimal(profile="cluster"))


def test_isolate_cuts_one_kafka_node_by_number_or_by_role():
    doc = minimal(profile="ha", method=[{"action": "isolate", "target": {"program": "kafka", "node": "leader"},
                                         "duration_s": 15, "failover_within_s": 15}])
    step = experiment.parse(doc).method[0]
    assert (step.action, step.target.node, step.failover_within_s) == ("isolate", "leader", 15)


@pytest.mark.parametrize("target", [{"program": "kafka"}, {"program": "redis", "node": 1}, {"service": "cart"}])
def test_isolate_needs_one_kafka_node(target):
    with pytest.raises(experiment.ExperimentError, match="isolate cuts one Kafka node"):
        experiment.parse(minimal(method=[{"action": "isolate", "target": target, "duration_s": 5}]))

import random

import pytest

from faultline_kit.clock import WallClock
from faultline_kit.faults import FaultInjector, FaultRequest
from faultline_kit.membership import Detector, Heartbeat, MembershipView
from faultline_kit.problems import Problem


def injector(**kwargs):
    exits = []
    return FaultInjector(WallClock(), rng=random.Random(1), exit_process=exits.append, **kwargs), exits


def test_errors_hit_only_the_chosen_routes_and_never_health_or_admin():
    faults, _ = injector()
    faults.set(FaultRequest(error_rate=1.0, routes=["/orders"]))
    with pytest.raises(Problem) as exc:
        faults.before_request("/orders/1")
    assert exc.value.status == 503
    faults.before_request("/carts/1")
    faults.before_request("/readyz")
    faults.before_request("/admin/faults")


def test_an_error_rate_fails_about_that_share():
    faults, _ = injector()
    faults.set(FaultRequest(error_rate=0.3))
    failures = 0
    for _ in range(1000):
        try:
            faults.before_request("/x")
        except Problem:
            failures += 1
    assert 200 < failures < 400


def test_failing_readiness_and_clearing_it():
    faults, _ = injector()
    faults.set(FaultRequest(fail_readiness=True))
    assert not faults.ready()
    faults.clear()
    assert faults.ready() and faults.describe()["error_rate"] == 0


def test_clock_skew_is_set_and_cleared_back_to_the_configured_skew():
    wall = WallClock(skew_ms=1000)
    faults = FaultInjector(wall)
    faults.set(FaultRequest(clock_skew_ms=-600_000))
    assert wall.skew_ms == -600_000
    faults.clear()
    assert wall.skew_ms == 1000


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def beat(instance, status="alive"):
    return Heartbeat(instance_id=instance, service="order", started_at="t", lamport=1, status=status, breakers={},
                     consumer_lag=0, in_flight=0)


@pytest.mark.parametrize("age, expected", [(0.5, "alive"), (2.9, "alive"), (3.0, "suspect"), (9.9, "suspect"),
                                           (10.0, "dead"), (60, "dead")])
def test_the_detector_judges_by_time_since_the_last_heartbeat(age, expected):
    clock = Clock()
    view = MembershipView("me", Detector(3.0, 10.0), clock)
    view.observe(beat("order-1"))
    clock.now += age
    assert view.members()[0]["status"] == expected


def test_a_member_that_said_goodbye_has_left():
    view = MembershipView("me", clock=Clock())
    view.observe(beat("order-1", status="leaving"))
    assert view.members()[0]["status"] == "left"


def test_a_new_heartbeat_brings_a_suspect_back_to_alive():
    clock = Clock()
    view = MembershipView("me", clock=clock)
    view.observe(beat("order-1"))
    clock.now += 5
    view.observe(beat("order-1"))
    [member] = view.members()
    assert (member["status"], member["heartbeats"]) == ("alive", 2)


def test_a_replayed_old_heartbeat_counts_from_when_it_was_sent_and_never_moves_a_member_back():
    clock = Clock()
    view = MembershipView("me", clock=clock)
    view.observe(beat("order-1"), age_s=30)
    assert view.members()[0]["status"] == "dead"
    view.observe(beat("order-1"), age_s=0)
    view.observe(beat("order-1"), age_s=20)
    assert view.members()[0]["status"] == "alive"

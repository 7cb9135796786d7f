"""Judging a hypothesis over a window of samples, and recovery time. Pure: samples in, verdicts out."""
from faultline_ops.chaos.experiment import CheckSpec
from faultline_ops.chaos.hypothesis import evaluate, recovery
from faultline_ops.chaos.timeline import Flow, Pending, Readiness, Request, Timeline, Window, percentile


def flows(timeline: Timeline, start: float, end: float, ok: bool, step: float = 0.25) -> None:
    t = start
    while t < end:
        timeline.add(Flow(t, f"k{t}", ok, "o" if ok else None, 1, "202" if ok else "503"))
        timeline.add(Request(t, "checkout", "202" if ok else "503", 20.0 if ok else 5.0, ok))
        t += step


def test_checkout_success_is_the_share_of_flows_started_in_the_window():
    timeline = Timeline()
    flows(timeline, 0, 3, ok=True)
    flows(timeline, 3, 4, ok=False)
    assert evaluate(CheckSpec("checkout_success", min=0.99), timeline, Window(0, 3)).ok
    result = evaluate(CheckSpec("checkout_success", min=0.99), timeline, Window(0, 4))
    assert not result.ok and result.observed == "75.0%" and result.samples == 16


def test_a_window_without_samples_never_passes_a_bound():
    result = evaluate(CheckSpec("checkout_success", min=0.5), Timeline(), Window(0, 5))
    assert not result.ok and result.observed == "no data"


def test_failed_statuses_pass_only_when_every_failure_has_an_allowed_status():
    timeline = Timeline()
    timeline.add(Request(1.0, "checkout", "503", 3.0, False))
    timeline.add(Request(1.5, "browse", "502", 3.0, False))
    assert evaluate(CheckSpec("failed_statuses", allowed=("502", "503")), timeline, Window(0, 2)).ok
    result = evaluate(CheckSpec("failed_statuses", allowed=("503",)), timeline, Window(0, 2))
    assert not result.ok and result.observed == "502 x1, 503 x1"


def test_p95_latency_uses_the_nearest_rank():
    assert percentile([float(v) for v in range(1, 101)], 95) == 95.0
    assert percentile([], 95) is None
    timeline = Timeline()
    for i in range(20):
        timeline.add(Request(0.1 * i, "browse", "200", 10.0 if i < 19 else 900.0, True))
    assert evaluate(CheckSpec("p95_latency_ms", max=100), timeline, Window(0, 2)).observed == "10 ms"


def test_readiness_counts_samples_where_every_service_or_replica_was_ready():
    timeline = Timeline()
    timeline.add(Readiness(0.5, {"order": True}, {"order-1": True, "order-2": True}))
    timeline.add(Readiness(1.5, {"order": True}, {"order-1": False, "order-2": True}))
    assert evaluate(CheckSpec("services_ready", min=1.0), timeline, Window(0, 2)).ok
    assert evaluate(CheckSpec("replicas_ready", min=1.0), timeline, Window(0, 2)).observed == "50.0%"


def test_pending_orders_is_the_highest_sample_in_the_window():
    timeline = Timeline()
    for t, n in ((0.5, 2), (1.5, 40), (2.5, 3)):
        timeline.add(Pending(t, n))
    assert not evaluate(CheckSpec("pending_orders", max=10), timeline, Window(0, 2)).ok
    assert evaluate(CheckSpec("pending_orders", max=10), timeline, Window(2, 3)).ok


def test_recovery_is_the_time_from_the_fault_end_to_the_first_window_that_holds():
    timeline = Timeline()
    flows(timeline, 10, 14, ok=False)
    flows(timeline, 14, 30, ok=True)
    specs = (CheckSpec("checkout_success", min=0.99),)
    assert recovery(specs, timeline, fault_end=10.0, window_s=3.0, until=30.0) == 4.0


def test_no_recovery_when_no_full_window_holds_before_the_end():
    timeline = Timeline()
    flows(timeline, 10, 20, ok=False)
    flows(timeline, 20, 21, ok=True)
    assert recovery((CheckSpec("checkout_success", min=0.99),), timeline, 10.0, 3.0, until=21.0) is None


def test_a_customer_who_ran_into_the_next_fault_is_not_judged_by_the_window_it_started_in():
    timeline = Timeline()
    timeline.add(Flow(1.0, "a", True, "o1", 1, "202", end=1.5))
    timeline.add(Flow(9.5, "b", False, None, 3, "503", end=12.0))
    assert evaluate(CheckSpec("checkout_success", min=1.0), timeline, Window(0, 10)).ok


def test_a_request_that_ran_into_the_next_fault_is_judged_by_neither_step():
    timeline = Timeline()
    timeline.add(Request(1.0, "checkout", "202", 20.0, True))
    # started in the first step, answered 503 five seconds later, after the second fault began at 2 s
    timeline.add(Request(1.9, "checkout", "503", 5000.0, False))
    first = Window(0, 2, "cut", answered_by=2.0)
    assert evaluate(CheckSpec("failed_statuses", allowed=()), timeline, first).ok
    assert not evaluate(CheckSpec("failed_statuses", allowed=()), timeline, Window(0, 2, "last step")).ok

"""Recovery figures from a timeline: first success and backlog drained after the fault. No stack needed."""
from faultline_ops.chaos.recovery import backlog, backlog_drained_s, first_success_s, pending_max
from faultline_ops.chaos.timeline import Flow, Pending, Settled, Timeline, Window

FAULT = Window(10.0, 30.0, "Kafka down")


def timeline(*samples) -> Timeline:
    line = Timeline()
    for sample in samples:
        line.add(sample)
    return line


def accepted(t: float, order_id: str, answered: float | None = None) -> Flow:
    return Flow(t, f"key-{order_id}", True, order_id, 1, "202", answered if answered is not None else t + 0.1)


def test_the_backlog_is_what_was_accepted_before_the_lift_and_not_terminal_when_the_fault_hit():
    line = timeline(accepted(5, "early"), Settled(6, "early"),        # done before the fault: not in the backlog
                    accepted(9, "in-flight"), Settled(32, "in-flight"),
                    accepted(20, "during"), Settled(35, "during"),
                    accepted(31, "after"), Settled(31.5, "after"))    # accepted after the lift: not in it either
    assert backlog(line, FAULT) == ["in-flight", "during"]


def test_backlog_drained_is_when_its_last_order_was_seen_terminal_after_the_lift():
    line = timeline(accepted(12, "a"), Settled(33.0, "a"), accepted(25, "b"), Settled(37.4, "b"))
    assert backlog_drained_s(line, FAULT) == 7.4


def test_a_backlog_terminal_before_the_lift_drained_at_once_and_one_never_seen_terminal_never_did():
    assert backlog_drained_s(timeline(accepted(12, "a"), Settled(20, "a")), FAULT) == 0.0
    assert backlog_drained_s(timeline(), FAULT) == 0.0
    assert backlog_drained_s(timeline(accepted(12, "a"), accepted(13, "b"), Settled(31, "b")), FAULT) is None


def test_first_success_is_the_first_checkout_answered_202_after_the_lift():
    failed = Flow(29.0, "key-x", False, None, 3, "503", 31.0)
    line = timeline(accepted(25, "before"), failed, Flow(29.5, "key-y", True, "y", 2, "202", 32.5),
                    accepted(33, "later"))
    assert first_success_s(line, FAULT.end) == 2.5
    assert first_success_s(timeline(failed), FAULT.end) is None


def test_pending_max_is_the_highest_count_sampled():
    assert pending_max(timeline(Pending(1, 0), Pending(2, 14), Pending(3, 3))) == 14
    assert pending_max(timeline()) is None


class Orders:
    """The load's accepted orders (oldest first) and what order answers for each."""

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses

    def accepted(self) -> dict[str, str]:
        return {f"key-{oid}": oid for oid in self.statuses}


def test_the_pending_sampler_counts_orders_not_terminal_and_says_when_each_was_first_seen_terminal(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from faultline_ops.chaos.load import PendingSampler

    orders = Orders({"a": "CONFIRMED", "b": "PENDING", "c": "REJECTED"})
    sampler = PendingSampler("http://127.0.0.1:9", orders, concurrency=2)
    monkeypatch.setattr(sampler, "_is_terminal", lambda oid: orders.statuses[oid] != "PENDING")
    seen: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool, seen.append) == 1
        orders.statuses["b"] = "CONFIRMED"
        assert sampler.sample(pool, seen.append) == 0
    assert seen == ["a", "c", "b"]

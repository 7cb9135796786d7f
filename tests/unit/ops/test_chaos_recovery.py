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


class Listing:
    """Order's listing in placement order (`GET /orders?offset=&limit=`), and who asked for what."""

    def __init__(self, statuses: dict[str, str], placed: list[str], reachable: bool = True,
                 created: dict[str, str] | None = None) -> None:
        self.statuses, self.placed, self.reachable = statuses, placed, reachable
        self.created = created or {}
        self.pages: list[tuple[int, int]] = []
        self.alone: list[str] = []

    def page(self, offset: int, limit: int):
        self.pages.append((offset, limit))
        if not self.reachable:
            return None
        ids = self.placed[offset:offset + limit]
        return [{"order_id": oid, "status": self.statuses[oid],
                 "created_at": self.created.get(oid, "2026-12-02T10:00:00+00:00")} for oid in ids], len(self.placed)

    def is_terminal(self, order_id: str):
        self.alone.append(order_id)
        return None if not self.reachable else self.statuses[order_id] != "PENDING"


def sampler_over(orders: Orders, listing: Listing, monkeypatch, **kwargs):
    from faultline_ops.chaos.load import PendingSampler

    sampler = PendingSampler("http://127.0.0.1:9", orders, concurrency=2, **kwargs)
    monkeypatch.setattr(sampler, "_listing", listing.page)
    monkeypatch.setattr(sampler, "_is_terminal", listing.is_terminal)
    return sampler


def test_the_pending_sampler_counts_orders_not_terminal_and_says_when_each_was_first_seen_terminal(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    orders = Orders({"a": "CONFIRMED", "b": "PENDING", "c": "REJECTED"})
    listing = Listing(orders.statuses, ["a", "b", "c"])
    sampler = sampler_over(orders, listing, monkeypatch)
    seen: list[str] = []
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool, seen.append) == 1
        orders.statuses["b"] = "CONFIRMED"
        assert sampler.sample(pool, seen.append) == 0
    assert seen == ["a", "c", "b"]
    assert sampler.confirmed == {"a", "b"}


def test_the_sampler_reads_a_whole_backlog_in_one_page_from_the_oldest_order_not_terminal(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    placed = [f"o{i}" for i in range(300)]
    statuses = {"before-the-run": "CONFIRMED"} | {oid: "CONFIRMED" if i < 200 else "PENDING"
                                                  for i, oid in enumerate(placed)}
    orders = Orders({oid: statuses[oid] for oid in placed})
    listing = Listing(statuses, ["before-the-run", *placed])
    sampler = sampler_over(orders, listing, monkeypatch, page_size=500)
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool) == 100   # the 200 confirmed are seen at once
        for oid in placed[200:250]:
            statuses[oid] = "CONFIRMED"
        assert sampler.sample(pool) == 50
    assert listing.pages == [(0, 500), (201, 500)]   # then from past the listing's terminal head
    assert listing.alone == []


def test_an_accepted_order_the_page_does_not_hold_is_asked_for_alone(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    orders = Orders({"skewed": "CONFIRMED", "late": "PENDING"})
    listing = Listing(orders.statuses, ["skewed", "late"])
    sampler = sampler_over(orders, listing, monkeypatch)
    sampler._cursor = 1                      # "skewed" sorts before the cursor (placed under a clock behind)
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool) == 1
    assert listing.alone == ["skewed"]


def test_the_sampler_starts_before_orders_a_clock_set_ahead_dated_in_the_future(monkeypatch):
    from datetime import datetime, timezone

    # A clock-skew run left orders dated 10 minutes ahead at the listing's end; new ones are listed before them.
    earlier = {f"e{i}": "CONFIRMED" for i in range(700)}
    ahead = {f"f{i}": "CONFIRMED" for i in range(600)}
    created = {oid: "2026-12-02T10:10:00+00:00" for oid in ahead}
    listing = Listing(earlier | ahead, [*earlier, *ahead], created=created)
    sampler = sampler_over(Orders({}), listing, monkeypatch, page_size=500)
    assert sampler._start_cursor(datetime(2026, 12, 2, 10, 1, tzinfo=timezone.utc)) == 700
    # Nothing dated ahead: the cursor is the listing's end, read from one page of its tail.
    listing.created, listing.pages = {}, []
    assert sampler._start_cursor(datetime(2026, 12, 2, 10, 1, tzinfo=timezone.utc)) == 1300
    assert listing.pages == [(0, 1), (800, 500)]


def test_the_cursor_never_moves_past_orders_dated_in_the_future(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    # This run's first order, then confirmed orders a clock set ahead dated far in the future.
    ahead = {f"f{i}": "CONFIRMED" for i in range(3)}
    created = {oid: "2099-01-01T00:00:00+00:00" for oid in ahead}
    orders = Orders({"a": "CONFIRMED"})
    listing = Listing(orders.statuses | ahead, ["a", *ahead], created=created)
    sampler = sampler_over(orders, listing, monkeypatch)
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool) == 0
        assert sampler._cursor == 1          # past "a", not past the orders dated ahead
        orders.statuses["b"] = listing.statuses["b"] = "PENDING"
        listing.placed.insert(1, "b")        # a new order is listed before them
        assert sampler.sample(pool) == 1
        listing.statuses["b"] = "CONFIRMED"
        assert sampler.sample(pool) == 0
    assert listing.alone == []               # every order seen in the page, none asked for alone


def test_while_order_cannot_be_asked_the_sampler_counts_what_it_knows(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    orders = Orders({"a": "CONFIRMED", "b": "PENDING"})
    listing = Listing(orders.statuses, ["a", "b"], reachable=False)
    sampler = sampler_over(orders, listing, monkeypatch)
    with ThreadPoolExecutor(2) as pool:
        assert sampler.sample(pool) == 2
        listing.reachable = True
        assert sampler.sample(pool) == 1

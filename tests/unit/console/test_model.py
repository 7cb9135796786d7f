"""What the control room computes from what the instances report (pure; fakes of their answers)."""
from __future__ import annotations

import pytest

from console_service import model

from .fakes import board, consumer, member, metrics_text, observation, readiness, seen


def test_an_instance_row_shows_its_membership_readiness_and_breakers():
    obs = observation([seen("cart-1", board_body=board({"inventory": "open", "order": "closed"})),
                       seen("cart-2", ready=None)],
                      members=[member("cart-1", "alive"), member("cart-2", "suspect", 4.2)])
    rows = {r.name: r for r in model.instance_rows(obs)}
    assert rows["cart-1"].member == "alive" and rows["cart-1"].ready is True
    assert rows["cart-1"].breakers == {"inventory": "open", "order": "closed"}
    assert rows["cart-2"].member == "suspect" and rows["cart-2"].last_seen_s == 4.2
    assert rows["cart-2"].ready is None and rows["cart-2"].breakers == {}


def test_an_instance_never_heard_from_is_unknown_and_a_replaced_pod_is_shown_until_forgotten():
    obs = observation([seen("order-1")],
                      members=[member("order-old", "dead", 30.0), member("order-gone", "dead", 600.0),
                               member("console", "alive")])
    rows = {r.name: r for r in model.instance_rows(obs)}
    assert rows["order-1"].member == "unknown"
    assert rows["order-old"].member == "dead" and rows["order-old"].expected is False
    assert "order-gone" not in rows and "console" not in rows


def test_groups_fold_in_their_retry_twin_and_name_paused_partitions():
    obs = observation([
        seen("inventory-1", board_body=board(consumers={
            "inventory": consumer({"orders-0": 3, "orders-1": 2}, paused=True, retried=1, dead=2),
            "inventory.retry": consumer({"inventory.retry-0": 4})})),
        seen("inventory-2", board_body=board(consumers={"inventory": consumer({"orders-2": 1}, dead=1)})),
    ], depths={"inventory.retry": 7, "inventory.dlq": 3})
    [row] = model.group_rows(obs)
    assert (row.group, row.members, row.lag, row.retry_lag) == ("inventory", 2, 6, 4)
    assert row.paused_partitions == ["orders-0", "orders-1"]
    assert (row.retried, row.dead_lettered, row.retry_depth, row.dlq_depth) == (1, 3, 7, 3)


def test_topic_depths_are_unknown_while_kafka_is_unreadable():
    obs = observation([seen("email-1", board_body=board(consumers={"email": consumer()}))], depths=None)
    [row] = model.group_rows(obs)
    assert row.retry_depth is None and row.dlq_depth is None


def test_the_outbox_shows_the_backlog_the_lease_holder_and_its_fencing_token():
    lease = {"holder": "order-2", "token": 0, "this_instance_holds": False}
    obs = observation([
        seen("order-1", board_body=board(outbox={"backlog": 12, "lease": lease})),
        seen("order-2", board_body=board(outbox={"backlog": 12, "lease": {**lease, "token": 41,
                                                                           "this_instance_holds": True}})),
    ])
    assert model.outbox_view(obs) == model.OutboxView(12, "order-2", 41)


def test_the_outbox_is_unknown_when_no_order_replica_answers():
    assert model.outbox_view(observation([seen("order-1", ready=None)])) == model.OutboxView(None, None, None)


def test_dependency_health_is_the_instances_majority_vote():
    down = readiness(redis=True, kafka_down=True)
    obs = observation([seen("order-1", ready_body=down), seen("order-2", ready_body=down),
                       seen("inventory-1", ready_body=readiness(kafka_down=False))])
    assert model.dependency_health(obs) == {"redis": True, "kafka": False}
    assert model.dependency_health(observation([seen("cart-1", ready=None)])) == {"redis": None, "kafka": None}


def test_counters_are_read_from_opentelemetry_prometheus_text():
    counters = model.parse_counters(metrics_text(checkouts=7, failed=2, saga={0.1: 1, 0.5: 3, float("inf"): 4}))
    assert (counters.checkouts, counters.failed) == (7, 2)
    assert counters.saga_buckets == ((0.1, 1), (0.5, 3), (float("inf"), 4))
    assert model.parse_counters("not prometheus {{") == model.Counters()


@pytest.mark.parametrize("q, expected", [(0.5, 0.3), (0.95, 0.5 + 0.5 * (3.8 - 3) / 1), (1.0, 1.0)])
def test_histogram_quantile_interpolates_inside_the_bucket(q, expected):
    buckets = [(0.1, 1), (0.5, 3), (1.0, 4), (float("inf"), 4)]
    assert model.histogram_quantile(q, buckets) == pytest.approx(expected)


def test_histogram_quantile_of_nothing_is_none_and_overflow_answers_the_highest_bound():
    assert model.histogram_quantile(0.5, [(0.1, 0), (float("inf"), 0)]) is None
    assert model.histogram_quantile(0.99, [(0.1, 1), (float("inf"), 10)]) == 0.1


def test_a_restarted_instance_counts_from_zero_again():
    total = model.MonotonicTotal()
    total.update("cart-1", 100, baseline=True)
    total.update("cart-1", 130)
    total.update("cart-1", 5)        # restarted: 5 new since
    total.update("cart-2", 3)        # a new instance after the start: all of it is new
    assert total.total == 30 + 5 + 3


def test_history_gives_rates_and_last_minute_figures_without_counting_what_came_before_the_console():
    history = model.History()
    for second, (checkouts, failed) in enumerate([(1000, 50), (1010, 50), (1030, 52), (1060, 55)]):
        metrics = metrics_text(checkouts, failed, saga={0.2: second * 10, float("inf"): second * 10})
        history.add(observation([seen("cart-1", metrics=metrics)], at=2000.0 + second), backlog=second, lag=0)
    figures = history.figures(rate_over_s=1.0)
    assert figures["checkouts_per_s"] == 30.0
    assert figures["failed_last_min"] == 5
    assert figures["saga_p50_s"] == pytest.approx(0.1)
    series = history.series()
    assert series["checkouts"] == [10.0, 20.0, 30.0] and series["failed"] == [0.0, 2.0, 3.0]
    assert series["backlog"] == [1, 2, 3]


def test_a_round_that_did_not_read_metrics_leaves_the_history_as_it_is():
    history = model.History()
    history.add(observation([seen("cart-1", metrics=metrics_text(5))], at=10.0), backlog=0, lag=0)
    quick = model.Observation(10.5, (seen("cart-1"),), full=False)
    history.add(quick, backlog=9, lag=0)
    assert [s.at for s in history.samples] == [10.0]
